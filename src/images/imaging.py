"""Pillow work: recognising an upload, and making every rendition from one decode.

Nothing here knows about rows or storage; it takes file objects and returns bytes, so the
upload check, the worker and the benchmark all run the same code.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from PIL import ExifTags, UnidentifiedImageError
from PIL import Image as PILImage

# Pillow's format name -> the extension the original is stored under. MPO is what many
# phones write: a JPEG with extra frames; its first frame is an ordinary JPEG.
SUPPORTED_FORMATS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tif",
}
JPEG_FORMATS = {"JPEG", "MPO"}
# What turns a picture stored with each EXIF orientation upright (as ImageOps.exif_transpose).
TRANSPOSE_FOR_ORIENTATION = {
    2: PILImage.Transpose.FLIP_LEFT_RIGHT,
    3: PILImage.Transpose.ROTATE_180,
    4: PILImage.Transpose.FLIP_TOP_BOTTOM,
    5: PILImage.Transpose.TRANSPOSE,
    6: PILImage.Transpose.ROTATE_270,
    7: PILImage.Transpose.TRANSVERSE,
    8: PILImage.Transpose.ROTATE_90,
}
# EXIF orientations that turn the picture by 90 degrees, swapping width and height.
SWAPPING_ORIENTATIONS = {5, 6, 7, 8}
GRAYSCALE = "grayscale"
JPEG_QUALITY = 85


class InvalidImage(ValueError):
    """The bytes are not an image we accept; the message is meant for a person."""


@dataclass(frozen=True)
class ImageInfo:
    format: str
    extension: str
    mode: str
    width: int  # as displayed, EXIF orientation applied
    height: int
    orientation: int = 1  # the EXIF orientation the renditions apply


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    extension: str
    content: bytes


def rendition_names(sizes: Sequence[int]) -> list[str]:
    return [f"{size}x{size}" for size in sorted(sizes)] + [GRAYSCALE]


def fit_inside(width: int, height: int, box: int) -> tuple[int, int]:
    """The size that fits inside a `box` x `box` square, aspect kept, never enlarged."""
    scale = min(1.0, box / width, box / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _orientation(img: PILImage.Image) -> int:
    """The EXIF orientation; 1 (as stored) when there is none or the EXIF block is unreadable.

    Pillow parses EXIF lazily and a damaged block raises whatever its parser met (SyntaxError
    "not a TIFF file", struct.error, ValueError...): the pixels are fine, so the picture is
    taken upright as stored rather than refused.
    """
    if img.format == "PNG" and "exif" not in img.info:
        # No eXIf chunk before the pixels; looking for one after them would decode the image.
        return 1
    try:
        orientation = int(img.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:
        return 1
    return orientation if orientation in TRANSPOSE_FOR_ORIENTATION else 1


def _open(source: BinaryIO, *, max_pixels: int) -> tuple[PILImage.Image, ImageInfo]:
    """Open without decoding: the header gives the format and size to check first."""
    try:
        img = PILImage.open(source)
    except PILImage.DecompressionBombError as exc:
        raise InvalidImage(f"The image has too many pixels (at most {max_pixels:,}).") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidImage("The file is not an image (JPEG, PNG, WebP, GIF, BMP or TIFF).") from exc
    if img.format not in SUPPORTED_FORMATS:
        img.close()
        raise InvalidImage(f"{img.format} images are not accepted; send JPEG, PNG, WebP, GIF, BMP or TIFF.")
    # Pillow only warns below twice its own limit, so the limit is checked here.
    if img.width * img.height > max_pixels:
        img.close()
        raise InvalidImage(
            f"The image has too many pixels ({img.width}x{img.height}; at most {max_pixels:,})."
        )
    orientation = _orientation(img)
    width, height = (img.height, img.width) if orientation in SWAPPING_ORIENTATIONS else img.size
    info = ImageInfo(
        format=img.format,
        extension=SUPPORTED_FORMATS[img.format],
        mode=img.mode,
        width=width,
        height=height,
        orientation=orientation,
    )
    return img, info


def _decode(img: PILImage.Image, *, verify_only: bool = False) -> None:
    try:
        img.verify() if verify_only else img.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidImage(f"The image is damaged or truncated ({exc}).") from exc


def image_inspect(source: BinaryIO, *, max_pixels: int) -> ImageInfo:
    """Check that `source` is a whole, supported image of acceptable size; describe it.

    A truncated file only shows when it is read to the end. JPEGs are decoded at 1/8 scale,
    which still reads every byte but skips most of the work; PNGs are read chunk by chunk
    with their checksums (`verify`) without decoding pixels, which for a large PNG would take
    hundreds of megabytes in the web process. Other formats are decoded in full.
    """
    img, info = _open(source, max_pixels=max_pixels)
    with img:
        if img.format in JPEG_FORMATS:
            img.draft(img.mode, (max(1, img.width // 8), max(1, img.height // 8)))
        _decode(img, verify_only=img.format == "PNG")
    return info


def _has_alpha(img: PILImage.Image) -> bool:
    return img.mode in {"RGBA", "LA", "PA", "La", "RGBa"} or "transparency" in img.info


def _encode(name: str, img: PILImage.Image, *, alpha: bool) -> Rendition:
    buffer = io.BytesIO()
    if alpha:
        img.save(buffer, "PNG", optimize=False)
        extension = "png"
    else:
        img.save(buffer, "JPEG", quality=JPEG_QUALITY)
        extension = "jpg"
    return Rendition(name, img.width, img.height, extension, buffer.getvalue())


def renditions_make(
    source: BinaryIO, *, sizes: Sequence[int], max_pixels: int
) -> tuple[ImageInfo, list[Rendition]]:
    """Decode once and make one rendition per box size, plus `grayscale` at the largest box.

    Fast on large photos: a JPEG is decoded straight at the smallest DCT scale that still
    covers the largest box (`draft`), and each resize reduces by whole factors before the
    final Lanczos pass (`reducing_gap` uses `reduce()`). EXIF orientation is applied, and
    images with transparency keep it (PNG renditions; JPEG otherwise).
    """
    img, info = _open(source, max_pixels=max_pixels)
    largest = max(sizes)
    with img:
        if img.format in JPEG_FORMATS:
            width, height = fit_inside(info.width, info.height, largest)
            swapped = (img.width, img.height) != (info.width, info.height)
            img.draft(img.mode, (height, width) if swapped else (width, height))
        _decode(img)
        alpha = _has_alpha(img)
        # The orientation _open read, so the picture's size is the one `info` announced.
        method = TRANSPOSE_FOR_ORIENTATION.get(info.orientation)
        picture = img.transpose(method) if method is not None else img.copy()
    if alpha:
        picture = picture.convert("RGBA")
    elif picture.mode not in {"RGB", "L"}:
        picture = picture.convert("RGB")

    renditions = []
    shrunk: dict[int, PILImage.Image] = {}
    for size in sorted(sizes):
        # From the original's size, so a draft decode a few pixels larger changes nothing.
        target = fit_inside(info.width, info.height, size)
        shrunk[size] = (
            picture
            if target == picture.size
            else picture.resize(target, PILImage.Resampling.LANCZOS, reducing_gap=3.0)
        )
        renditions.append(_encode(f"{size}x{size}", shrunk[size], alpha=alpha))
    gray = shrunk[largest].convert("LA" if alpha else "L")
    renditions.append(_encode(GRAYSCALE, gray, alpha=alpha))
    return info, renditions
