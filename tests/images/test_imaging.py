"""The Pillow pipeline on its own: recognising uploads and making renditions."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, ImageChops, ImageOps, ImageStat
from PIL import Image as PILImage

from images.imaging import JPEG_QUALITY, InvalidImage, fit_inside, image_inspect, renditions_make
from tests.images.conftest import make_image

MAX_PIXELS = 50_000_000


def make(content: bytes, sizes=(100, 500)):
    return renditions_make(io.BytesIO(content), sizes=sizes, max_pixels=MAX_PIXELS)


def opened(rendition) -> PILImage.Image:
    img = PILImage.open(io.BytesIO(rendition.content))
    img.load()
    return img


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((4000, 3000), 500, (500, 375)),
        ((3000, 4000), 500, (375, 500)),
        ((300, 200), 500, (300, 200)),  # never enlarged
        ((500, 500), 500, (500, 500)),
        ((10000, 10), 100, (100, 1)),  # never below one pixel
    ],
)
def test_fit_inside_keeps_aspect_and_never_enlarges(size, box, expected):
    assert fit_inside(*size, box) == expected


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [
        ("JPEG", "RGB"),
        ("PNG", "RGBA"),
        ("WEBP", "RGB"),
        ("GIF", "P"),
        ("BMP", "RGB"),
        ("TIFF", "RGB"),
        ("JPEG", "L"),
        ("JPEG", "CMYK"),
        ("TIFF", "CMYK"),
        ("PNG", "I;16"),
        ("PNG", "LA"),
        ("PNG", "1"),
        ("WEBP", "RGBA"),
    ],
)
def test_every_supported_format_gets_all_renditions(fmt, mode):
    content = make_image(fmt, (1200, 800), mode=mode)
    info, renditions = make(content)
    assert (info.width, info.height) == (1200, 800)
    assert info.format == fmt
    by_name = {r.name: r for r in renditions}
    assert sorted(by_name) == ["100x100", "500x500", "grayscale"]
    for name, expected in [("100x100", (100, 67)), ("500x500", (500, 333)), ("grayscale", (500, 333))]:
        img = opened(by_name[name])
        assert img.size == expected == (by_name[name].width, by_name[name].height)
    assert opened(by_name["grayscale"]).mode in {"L", "LA"}
    assert opened(by_name["500x500"]).mode in {"RGB", "RGBA", "L"}


def test_transparency_is_kept_in_png_renditions():
    _, renditions = make(make_image("PNG", (600, 600), mode="RGBA"))
    assert {r.extension for r in renditions} == {"png"}
    assert opened(renditions[-1]).mode == "LA"


@pytest.mark.parametrize(("orientation", "top_is_red"), [(6, True), (8, False), (3, False), (1, False)])
def test_exif_orientation_is_applied(orientation, top_is_red):
    # The stored picture is 800x600 with its left half red. Orientation 6 shows it turned
    # 90 degrees clockwise: 600x800 with red on top; 8 turns the other way (blue on top).
    info, renditions = make(make_image("JPEG", (800, 600), orientation=orientation))
    swapped = orientation in {6, 8}
    assert (info.width, info.height) == ((600, 800) if swapped else (800, 600))
    img = opened(renditions[1]).convert("RGB")  # 500x500
    assert img.size == ((375, 500) if swapped else (500, 375))
    if swapped:
        red, _, blue = img.getpixel((img.width // 2, 5))
        assert (red > blue) is top_is_red
    else:
        red, _, blue = img.getpixel((5, img.height // 2))
        assert (red > blue) is (orientation == 1)  # 3 is upside down: blue on the left


def test_large_jpeg_is_decoded_at_reduced_scale_with_the_right_sizes():
    info, renditions = make(make_image("JPEG", (4000, 3000), orientation=6))
    assert (info.width, info.height) == (3000, 4000)
    assert [(r.name, r.width, r.height) for r in renditions] == [
        ("100x100", 75, 100),
        ("500x500", 375, 500),
        ("grayscale", 375, 500),
    ]


def test_sizes_are_a_setting():
    _, renditions = make(make_image("PNG", (1000, 1000)), sizes=(64, 256, 128))
    assert [(r.name, r.width) for r in renditions] == [
        ("64x64", 64),
        ("128x128", 128),
        ("256x256", 256),
        ("grayscale", 256),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not an image", "not an image"),
        (make_image("JPEG", (800, 600))[:2000], "truncated"),
        (make_image("PPM", (10, 10)), "PPM images are not accepted"),
    ],
    ids=["text", "truncated-jpeg", "unsupported-format"],
)
def test_bad_input_is_refused_with_a_clear_message(content, message):
    with pytest.raises(InvalidImage, match=message):
        image_inspect(io.BytesIO(content), max_pixels=MAX_PIXELS)


def test_pixel_count_is_checked_before_decoding():
    with pytest.raises(InvalidImage, match="too many pixels"):
        image_inspect(io.BytesIO(make_image("PNG", (200, 200))), max_pixels=200 * 200 - 1)
    assert image_inspect(io.BytesIO(make_image("PNG", (200, 200))), max_pixels=200 * 200).width == 200


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_every_exif_orientation_comes_out_as_pillow_turns_it_upright(fmt, orientation):
    content = make_image(fmt, (400, 200), orientation=orientation)
    upright = ImageOps.exif_transpose(PILImage.open(io.BytesIO(content))).convert("RGB")
    info, renditions = make(content, sizes=(500,))
    assert (info.width, info.height) == upright.size
    rendition = opened(renditions[0]).convert("RGB")
    assert rendition.size == upright.size
    for corner in [(5, 5), (upright.width - 6, upright.height - 6)]:
        red, _, blue = rendition.getpixel(corner)
        expected_red, _, expected_blue = upright.getpixel(corner)
        assert (red > blue) is (expected_red > expected_blue), corner


def damaged(fmt: str, size=(800, 600), **options) -> bytes:
    """A picture with detail (noise) whose header is whole and whose pixels are not: cut
    short, or (where the format keeps its directory at the end) garbled in the middle."""
    buffer = io.BytesIO()
    PILImage.effect_noise(size, 60).convert("RGB").save(buffer, fmt, **options)
    content = buffer.getvalue()
    if fmt == "TIFF":
        middle = len(content) // 2
        return content[:middle] + bytes(range(256)) * 64 + content[middle + 256 * 64 :]
    return content[: len(content) // 2]


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("GIF", {}), ("BMP", {}), ("TIFF", {"compression": "tiff_deflate"})],
)
def test_upload_check_reads_only_the_header_and_the_worker_finds_bad_pixels(fmt, options):
    # Accepted from the header (nothing decodes the pixels), refused when they are decoded.
    # (A WebP is checked whole when it is opened: libwebp's demuxer reads every chunk.)
    content = damaged(fmt, **options)
    info = image_inspect(io.BytesIO(content), max_pixels=MAX_PIXELS)
    assert (info.format, info.width, info.height) == (fmt, 800, 600)
    with pytest.raises(InvalidImage, match="damaged or truncated"):
        make(content)


def test_a_jpeg_without_its_end_marker_is_refused_but_data_after_it_is_allowed():
    whole = make_image("JPEG", (800, 600), orientation=6)
    with pytest.raises(InvalidImage, match="truncated"):
        image_inspect(io.BytesIO(whole[:-2]), max_pixels=MAX_PIXELS)
    # A motion photo carries its video after the picture's end marker.
    info = image_inspect(io.BytesIO(whole + b"\x00\x00\x00\x18ftypmp42" + bytes(1000)), max_pixels=MAX_PIXELS)
    assert (info.width, info.height) == (600, 800)


def test_a_jpeg_cut_after_its_exif_thumbnail_is_refused():
    # The thumbnail inside the EXIF block ends with an end marker of its own.
    img = PILImage.effect_noise((800, 600), 60).convert("RGB")
    thumbnail = io.BytesIO()
    img.resize((160, 120)).save(thumbnail, "JPEG")
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 1
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", exif=exif.tobytes() + b"\x00" * 16 + thumbnail.getvalue())
    content = buffer.getvalue()
    assert content.count(b"\xff\xd9") >= 2
    with pytest.raises(InvalidImage, match="truncated"):
        image_inspect(io.BytesIO(content[: len(content) // 2]), max_pixels=MAX_PIXELS)


class RecordingGate:
    """A `decoding` gate that notes what it was asked and whether a decode is inside it."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.inside = False

    def __call__(self, nbytes: int):
        self.asked.append(nbytes)
        return self

    def __enter__(self) -> None:
        self.inside = True

    def __exit__(self, *exc) -> None:
        self.inside = False


def test_the_decode_passes_the_gate_with_the_memory_it_takes():
    gate = RecordingGate()
    renditions_make(
        io.BytesIO(make_image("PNG", (3000, 2000))), sizes=(100, 500), max_pixels=MAX_PIXELS, decoding=gate
    )
    assert gate.asked == [3000 * 2000 * 4] and not gate.inside
    # A JPEG is decoded at reduced scale, and asks for that much only.
    gate = RecordingGate()
    renditions_make(
        io.BytesIO(make_image("JPEG", (4000, 3000))), sizes=(100, 500), max_pixels=MAX_PIXELS, decoding=gate
    )
    assert gate.asked == [500 * 375 * 4]


def test_a_failed_decode_leaves_the_gate():
    gate = RecordingGate()
    with pytest.raises(InvalidImage):
        renditions_make(io.BytesIO(damaged("PNG")), sizes=(500,), max_pixels=MAX_PIXELS, decoding=gate)
    assert len(gate.asked) == 1 and not gate.inside


@pytest.mark.parametrize(
    ("mode", "orientation"),
    [("P", 1), ("RGB", 6), ("RGBA", 8), ("L", 3), ("I;16", 1), ("CMYK", 1)],
)
def test_large_pictures_reduced_band_by_band_look_as_pillow_makes_them(mode, orientation):
    # Detail everywhere but no noise (which JPEG renditions could not keep), so a misplaced
    # band or a wrong average shows.
    size = (3001, 2003)  # odd sizes: the last band and column are partial blocks
    detail = PILImage.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 100)
    gradient = PILImage.linear_gradient("L").resize(size)
    picture = PILImage.merge("RGB", (detail, gradient, detail.transpose(PILImage.Transpose.FLIP_LEFT_RIGHT)))
    if mode == "P":
        picture = picture.quantize(64)
    elif mode == "I;16":
        picture = detail.convert("I").point(lambda v: v * 256).convert("I;16")
    else:
        picture = picture.convert(mode)
    fmt = "TIFF" if mode == "CMYK" else "PNG"
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    picture.save(buffer, fmt, exif=exif)
    info, renditions = make(buffer.getvalue(), sizes=(100, 500))

    working = "RGBA" if mode == "RGBA" else "L" if mode == "L" else "RGB"
    upright = ImageOps.exif_transpose(PILImage.open(io.BytesIO(buffer.getvalue())).convert(working))
    assert (info.width, info.height) == upright.size
    for rendition, box in zip(renditions, (100, 500), strict=False):
        # What Pillow's own resize with the same reducing_gap makes from the whole picture,
        # encoded as the rendition is.
        reference = io.BytesIO()
        upright.resize(fit_inside(*upright.size, box), PILImage.Resampling.LANCZOS, reducing_gap=3.0).save(
            reference, "PNG" if rendition.extension == "png" else "JPEG", quality=JPEG_QUALITY
        )
        expected = PILImage.open(reference).convert(working)
        got = opened(rendition).convert(working)
        assert got.size == expected.size
        difference = ImageStat.Stat(ImageChops.difference(got, expected)).mean
        assert max(difference) < 1, difference  # rounding only


def test_small_pictures_are_never_enlarged():
    _, renditions = make(make_image("GIF", (60, 40)))
    assert [(r.width, r.height) for r in renditions] == [(60, 40), (60, 40), (60, 40)]
