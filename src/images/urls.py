from django.urls import path
from rest_framework.routers import SimpleRouter

from images.file_views import image_file
from images.views import ImageViewSet

app_name = "images"

router = SimpleRouter()
router.register("", ImageViewSet, basename="image")

urlpatterns = [
    path("<uuid:pk>/file/", image_file, name="image-file"),
    *router.urls,
]
