from rest_framework.routers import SimpleRouter

from codecheck.views import CheckViewSet, CodeFileViewSet

router = SimpleRouter()
router.register("files", CodeFileViewSet, basename="codefile")
router.register("checks", CheckViewSet, basename="codecheck")

urlpatterns = router.urls
