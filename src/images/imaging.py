"""Pillow work: recognising an upload, and making every rendition from one decode.

Nothing here knows about rows or storage; it takes file objects and returns bytes, so the
upload check, the worker and the benchmark all run the same code.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
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
# Renditions are resampled (Lanczos) from a picture first reduced by whole factors to at
# least this many times their size, as Pillow's own `reducing_gap`: fast, and no worse.
REDUCING_GAP = 3.0
# Bytes read at a time while looking for a JPEG's end-of-image marker from the end.
END_SEARCH_CHUNK = 64 * 1024
# Rows converted at a time while reducing a large picture (see _reduced).
BAND_PIXELS = 1 << 20


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


def _jpeg_scan_start(source: BinaryIO) -> int | None:
    """Where a JPEG's compressed pixels begin: just past its first start-of-scan segment.

    Walks the marker segments (a few reads of a few bytes each) instead of trusting where
    Pillow left the file: an MPO rewinds it to the first frame.
    """
    position = 2  # past the start-of-image marker
    while True:
        source.seek(position)
        marker = source.read(4)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if marker[1] == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker[1] == 0x01 or 0xD0 <= marker[1] <= 0xD7:  # markers without a length
            position += 2
            continue
        if len(marker) < 4:
            return None
        end = position + 2 + int.from_bytes(marker[2:4], "big")
        if marker[1] == 0xDA:
            return end
        position = end


def _jpeg_is_whole(source: BinaryIO) -> bool:
    """True when an end-of-image marker follows the compressed pixels.

    Inside the compressed data every 0xFF byte is followed by 0x00 or a restart marker, so
    an FF D9 past the scan start ends the picture (an EXIF thumbnail's own end marker comes
    before it). Data after it, as in motion photos, is allowed. The search runs backwards
    from the end of the file, where the marker is, so a whole file costs one small read.
    """
    start = _jpeg_scan_start(source)
    if start is None:
        return False
    end = source.seek(0, io.SEEK_END)
    while end > start:
        begin = max(start, end - END_SEARCH_CHUNK)
        source.seek(begin)
        if b"\xff\xd9" in source.read(end - begin + 1):  # + 1: a marker across two reads
            return True
        end = begin
    return False


def image_inspect(source: BinaryIO, *, max_pixels: int) -> ImageInfo:
    """Check that `source` is a supported image of acceptable size and describe it, from
    its header: no pixel is decoded, so a small file announcing 50 MP costs nothing here.

    Two cheap checks catch the common truncation without decoding: a JPEG must end its
    compressed data with an end-of-image marker, and a PNG's chunks are read with their
    checksums (`verify`). Anything else wrong with the pixels shows when the worker decodes
    them, and the image ends `failed` with the reason.
    """
    img, info = _open(source, max_pixels=max_pixels)
    with img:
        if img.format == "PNG":
            _decode(img, verify_only=True)
        elif img.format in JPEG_FORMATS and not _jpeg_is_whole(source):
            raise InvalidImage("The image is damaged or truncated (its JPEG data has no end).")
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


def decode_bytes(img: PILImage.Image) -> int:
    """About how much memory decoding the opened `img` at its current size takes.

    Pillow keeps 1 byte a pixel for 1, L and P, 2 for 16-bit grey, 4 for everything else
    (RGB included). WebP has no smaller decode and costs about four times that: Pillow's
    libwebp animation decoder holds two full RGBA canvases and hands over a third copy
    before the picture is made from it.
    """
    if img.format == "WEBP":
        return img.width * img.height * 16
    per_pixel = 1 if img.mode in {"1", "L", "P"} else 2 if img.mode.startswith("I;16") else 4
    return img.width * img.height * per_pixel


def _working_mode(mode: str, *, alpha: bool) -> str:
    """The mode renditions are made in: RGBA keeps transparency, L and RGB stay, the rest is RGB."""
    if alpha:
        return "RGBA"
    return mode if mode in {"RGB", "L"} else "RGB"


def _reduced(img: PILImage.Image, factor: tuple[int, int], mode: str) -> PILImage.Image:
    """`img` converted to `mode` and reduced by whole factors (box averages), a band of rows
    at a time: beside the decoded picture, memory only holds one converted band and the
    small result, however wide the picture's mode conversion would be in one piece.

    Bands are a whole number of `factor` rows high, so the result is the same as one
    `reduce` of the whole picture.
    """
    if factor == (1, 1):
        return img if img.mode == mode else img.convert(mode)
    factor_x, factor_y = factor
    reduced = PILImage.new(mode, (-(-img.width // factor_x), -(-img.height // factor_y)))
    rows = max(factor_y, BAND_PIXELS // img.width // factor_y * factor_y)
    for top in range(0, img.height, rows):
        band = img.crop((0, top, img.width, min(img.height, top + rows)))
        if band.mode != mode:
            band = band.convert(mode)
        reduced.paste(band.reduce(factor), (0, top // factor_y))
    return reduced


def _decode_upright(
    source: BinaryIO,
    *,
    box: int,
    max_pixels: int,
    decoding: Callable[[int], AbstractContextManager[object]],
) -> tuple[ImageInfo, PILImage.Image, bool]:
    """Decode the picture as small as it can be read and still cover `box`, upright.

    A JPEG is decoded straight at the smallest DCT scale that covers the box (`draft`);
    other formats are decoded whole and at once reduced by whole factors, down to
    REDUCING_GAP times the box, before anything else is done with them. `decoding` is
    entered with the memory the decode is about to take (`decode_bytes`) and held until
    only the reduced picture is left: the worker bounds how many large pictures decode at
    once with it.
    """
    img, info = _open(source, max_pixels=max_pixels)
    width, height = fit_inside(info.width, info.height, box)
    # The box in the picture's stored orientation: it is turned upright last, when small.
    swapped = info.orientation in SWAPPING_ORIENTATIONS
    target = (height, width) if swapped else (width, height)
    if img.format in JPEG_FORMATS:
        img.draft(img.mode, target)
    with decoding(decode_bytes(img)):
        _decode(img)
        alpha = _has_alpha(img)
        factor = (
            int(img.width / target[0] / REDUCING_GAP) or 1,
            int(img.height / target[1] / REDUCING_GAP) or 1,
        )
        picture = _reduced(img, factor, _working_mode(img.mode, alpha=alpha))
        # The orientation _open read, so the picture's size is the one `info` announced.
        method = TRANSPOSE_FOR_ORIENTATION.get(info.orientation)
        if method is not None:
            picture = picture.transpose(method)
        elif picture is img:
            picture = img.copy()  # small: it was reduced by nothing
        del img
    return info, picture, alpha


def _no_gate(nbytes: int) -> AbstractContextManager[object]:
    return nullcontext()


def renditions_make(
    source: BinaryIO,
    *,
    sizes: Sequence[int],
    max_pixels: int,
    decoding: Callable[[int], AbstractContextManager[object]] = _no_gate,
) -> tuple[ImageInfo, list[Rendition]]:
    """Decode once and make one rendition per box size, plus `grayscale` at the largest box.

    The picture is decoded and reduced as `_decode_upright` says, so memory stays near the
    decoded size of what is read (for a JPEG, a fraction of it) and the final Lanczos pass
    works on a small picture. EXIF orientation is applied, images are never enlarged, and
    images with transparency keep it (PNG renditions; JPEG otherwise).
    """
    largest = max(sizes)
    info, picture, alpha = _decode_upright(source, box=largest, max_pixels=max_pixels, decoding=decoding)
    renditions = []
    shrunk: dict[int, PILImage.Image] = {}
    for size in sorted(sizes):
        # From the original's size, so a draft decode a few pixels larger changes nothing.
        target = fit_inside(info.width, info.height, size)
        shrunk[size] = (
            picture
            if target == picture.size
            else picture.resize(target, PILImage.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
        )
        renditions.append(_encode(f"{size}x{size}", shrunk[size], alpha=alpha))
    gray = shrunk[largest].convert("LA" if alpha else "L")
    renditions.append(_encode(GRAYSCALE, gray, alpha=alpha))
    return info, renditions
