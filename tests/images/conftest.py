"""Images made by Pillow for each test (no binary fixtures) and a private media root."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags
from PIL import Image as PILImage

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
