from django.urls import path

from ops import site_views

app_name = "ops-site"

urlpatterns = [
    path("", site_views.dashboard, name="dashboard"),
    path("tasks/<uuid:pk>/retry/", site_views.retry_task, name="retry-task"),
    path("tasks/<uuid:pk>/cancel/", site_views.cancel_task, name="cancel-task"),
    path("tasks/retry-failed/", site_views.retry_failed, name="retry-failed"),
]
