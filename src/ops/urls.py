from django.urls import path

from ops import views
from ops.event_stream import ops_events

urlpatterns = [
    path("events/", ops_events, name="ops-events"),
    path("workers/", views.WorkerListView.as_view(), name="ops-workers"),
    path("queues/", views.QueueListView.as_view(), name="ops-queues"),
    path("schedules/", views.ScheduleListView.as_view(), name="ops-schedules"),
    path("tasks/retry-failed/", views.RetryFailedView.as_view(), name="ops-retry-failed"),
]
