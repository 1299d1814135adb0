from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import account_views, views
from core.throttling import throttle_posts
from ops.views import metrics

auth_patterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("token/refresh/", views.TokenRefresh.as_view(), name="token-refresh"),
    path("me/", views.MeView.as_view(), name="me"),
]

account_patterns = [
    path("register/", throttle_posts(account_views.register), name="register"),
    path("login/", throttle_posts(account_views.LoginView.as_view()), name="login"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
]

# The browsable API links "Log in" to `rest_framework:login`: send it to the site's login
# page (throttled, and it honours `next`) rather than serving a second login form.
browsable_api_patterns = [
    path("login/", RedirectView.as_view(url=settings.LOGIN_URL, query_string=True), name="login"),
]

urlpatterns = [
    path("admin/login/", throttle_posts(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("api/", views.ApiRootView.as_view(), name="api-root"),
    path("metrics", metrics, name="metrics"),
    path("api/auth/", include((auth_patterns, "auth"))),
    path("api/auth/", include((browsable_api_patterns, "rest_framework"))),
    path("api/tasks/", include("tasks_api.urls")),
    path("api/images/", include("images.urls")),
    path("api/codecheck/", include("codecheck.urls")),
    path("accounts/", include((account_patterns, "accounts"))),
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
