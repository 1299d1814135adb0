from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import views
from core.throttling import throttle_posts
from ops.views import metrics

auth_patterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("token/refresh/", views.TokenRefresh.as_view(), name="token-refresh"),
    path("me/", views.MeView.as_view(), name="me"),
]

urlpatterns = [
    path("admin/login/", throttle_posts(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("api/auth/", include((auth_patterns, "auth"))),
    path("api/tasks/", include("tasks_api.urls")),
    path("api/images/", include("images.urls")),
    path("api/codecheck/", include("codecheck.urls")),
    path("api/ops/", include("ops.urls")),
    path("ops/", include("ops.site_urls")),
    path("", include("codecheck.site_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"),
        name="redoc",
    ),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
