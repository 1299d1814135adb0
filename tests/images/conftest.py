"""Images made by Pillow for each test (no binary fixtures), a private media root, and the
clean-up of images that end-to-end tests make under the shared one."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags
from PIL import Image as PILImage

from images.storage import image_files_delete

EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tif",
    "PPM": "ppm",
}


def make_image(
    fmt: str = "JPEG",
    size: tuple[int, int] = (640, 480),
    *,
    mode: str = "RGB",
    orientation: int | None = None,
) -> bytes:
    """An image whose left half is red and right half blue, so orientation can be checked."""
    base = "L" if mode == "L" else "RGBA" if mode == "RGBA" else "RGB"
    img = PILImage.new(base, size, "blue" if base != "L" else 200)
    img.paste("red" if base != "L" else 50, (0, 0, size[0] // 2, size[1]))
    img = img.convert(mode)
    options: dict = {}
    if orientation is not None:
        exif = PILImage.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        options["exif"] = exif
    if fmt == "GIF":
        # Two frames: only the first one counts.
        options.update(save_all=True, append_images=[PILImage.new("RGB", size, "green").convert(mode)])
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def media_root(settings, tmp_path) -> Iterator[Path]:
    """A media root of the test's own: what a test leaves there is plain to see."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield settings.MEDIA_ROOT


@pytest.fixture
def made_images():
    """Ids of the images a test uploads; their files are removed afterwards whatever happens."""
    ids: list[str] = []
    yield ids
    for image_id in ids:
        image_files_delete(image_id=image_id)
    with contextlib.suppress(OSError):  # the parent folder, when no one else has images there
        (Path(settings.MEDIA_ROOT) / "images").rmdir()
