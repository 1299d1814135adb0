from django.urls import path
from django.views.generic import RedirectView

from codecheck import site_views

app_name = "codecheck-site"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="codecheck-site:files"), name="home"),
    path("files/", site_views.files, name="files"),
    path("files/<int:file_id>/", site_views.file_detail, name="file"),
    path("files/<int:file_id>/overwrite/", site_views.file_overwrite, name="file-overwrite"),
    path("files/<int:file_id>/delete/", site_views.file_delete, name="file-delete"),
    path("files/<int:file_id>/check/", site_views.file_check, name="file-check"),
    path("reports/", site_views.reports, name="reports"),
]
