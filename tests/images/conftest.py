"""Images made by Pillow for each test (no binary fixtures), a private media root, the two
storages the tests run over, and the clean-up of images that end-to-end tests make."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

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


class StoredFiles(Protocol):
    """What a test reads back from the storage the images went to, around the code under test."""

    env: dict[str, str]  # what a worker process needs to use the same storage

    def object_keys(self, prefix: str = "") -> list[str]: ...

    def read(self, key: str) -> bytes: ...

    def write(self, key: str, content: bytes) -> None: ...

    def delete(self, key: str) -> None: ...


class LocalFiles:
    """Files under a media root, read from the file system (the names are the storage's)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {"MEDIA_ROOT": str(root)}

    def object_keys(self, prefix: str = "") -> list[str]:
        names = (path.relative_to(self.root).as_posix() for path in files_under(self.root))
        return sorted(name for name in names if name.startswith(prefix))

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def write(self, key: str, content: bytes) -> None:
        (self.root / key).write_bytes(content)

    def delete(self, key: str) -> None:
        (self.root / key).unlink()


STORAGES = ["local", "s3"]


def nothing_under_media_root() -> None:
    """The S3 mode's promise (SPEC §6): not a byte under MEDIA_ROOT, whatever the test did."""
    assert files_under(Path(settings.MEDIA_ROOT)) == [], "the S3 mode wrote under MEDIA_ROOT"


@pytest.fixture(params=STORAGES)
def storage(request, settings, tmp_path) -> Iterator[StoredFiles]:
    """Run the test twice: images on a media root of the test's own, and in an S3 bucket of
    its own (moto's server, tests/s3.py) with MEDIA_ROOT left empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if request.param == "local":
        yield LocalFiles(settings.MEDIA_ROOT)
        return
    yield request.getfixturevalue("s3_bucket")
    nothing_under_media_root()


@pytest.fixture(params=STORAGES)
def worker_storage(request, settings, tmp_path) -> Iterator[StoredFiles]:
    """For end-to-end tests: the storage, and a worker process that uses it too.

    On the local storage that is the session's worker and the default MEDIA_ROOT it has;
    on S3, a worker of the test's own, with the session's one stopped meanwhile (it would
    look for the files under MEDIA_ROOT).
    """
    if request.param == "local":
        request.getfixturevalue("worker")
        yield LocalFiles(Path(settings.MEDIA_ROOT))
        return
    bucket = request.getfixturevalue("s3_bucket")
    request.getfixturevalue("without_session_worker")
    request.getfixturevalue("start_worker")(env={**bucket.env, "MEDIA_ROOT": str(settings.MEDIA_ROOT)})
    yield bucket
    nothing_under_media_root()
