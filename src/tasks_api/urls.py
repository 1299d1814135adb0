from django.urls import path
from rest_framework.routers import SimpleRouter

from tasks_api.event_stream import task_events
from tasks_api.views import TaskViewSet

router = SimpleRouter()
router.register("", TaskViewSet, basename="task")

urlpatterns = [path("<uuid:pk>/events/", task_events, name="task-events"), *router.urls]
