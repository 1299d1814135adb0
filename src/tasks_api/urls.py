from rest_framework.routers import SimpleRouter

from tasks_api.views import TaskViewSet

router = SimpleRouter()
router.register("", TaskViewSet, basename="task")

urlpatterns = router.urls
