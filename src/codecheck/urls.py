from rest_framework.routers import SimpleRouter

from codecheck.views import CheckViewSet, CodeFileViewSet

# Path converters rather than regexes: ids are integers in the URL patterns (anything else
# is a 404, not a 500) and in the OpenAPI schema.
router = SimpleRouter(use_regex_path=False)
router.register("files", CodeFileViewSet, basename="codefile")
router.register("checks", CheckViewSet, basename="codecheck")

urlpatterns = router.urls
