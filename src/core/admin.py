from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_dramatiq.models import Task as DramatiqTask

from core.accounts import user_delete
from core.models import User

# django-dramatiq's own task table is filled only by its AdminMiddleware, which this
# project does not use: the jobs are in tasks_api's Task.
if admin.site.is_registered(DramatiqTask):
    admin.site.unregister(DramatiqTask)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    def get_deleted_objects(self, objs, request):
        # The deletion goes through user_delete, which removes each app's rows through that
        # app's services (code files and checks that the admin itself never deletes,
        # unfinished tasks cancelled first): no per-model delete permission is needed.
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            user_delete(user=user)
