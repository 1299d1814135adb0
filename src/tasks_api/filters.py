import django_filters

from tasks_api import registry
from tasks_api.models import Task, TaskStatus


class TaskFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=lambda: [(k.name, k.name) for k in registry.all_kinds()])
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)

    class Meta:
        model = Task
        fields = ["kind", "status"]
