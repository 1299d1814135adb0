from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_dramatiq.models import Task as DramatiqTask

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
