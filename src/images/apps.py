from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "images"
    verbose_name = "Images"

    def ready(self) -> None:
        from core.accounts import account_cleanup_register
        from images import signals  # noqa: F401  (connects the receivers)
        from images.memory import malloc_release_large_blocks
        from images.processing import ImageProcessParamsSerializer
        from images.services import IMAGE_PROCESS_KIND, images_delete_for_owner
        from tasks_api import registry

        # Internal: an upload creates it; clients follow it in /api/tasks/ but cannot submit it.
        registry.register(
            registry.TaskKind(
                name=IMAGE_PROCESS_KIND,
                actor_name="image_process_task",
                params_serializer=ImageProcessParamsSerializer,
                description="Make an uploaded image's renditions and read its metadata (internal).",
                public=False,
            )
        )
        account_cleanup_register("images", lambda user: images_delete_for_owner(owner=user))
        malloc_release_large_blocks()
