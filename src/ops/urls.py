from django.urls import path

from ops import views

urlpatterns = [
    path("workers/", views.WorkerListView.as_view(), name="ops-workers"),
    path("queues/", views.QueueListView.as_view(), name="ops-queues"),
    path("schedules/", views.ScheduleListView.as_view(), name="ops-schedules"),
    path("tasks/retry-failed/", views.RetryFailedView.as_view(), name="ops-retry-failed"),
]
