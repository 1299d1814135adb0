"""The Pillow pipeline on its own: recognising uploads and making renditions."""

from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage
from PIL import ImageOps

from images.imaging import InvalidImage, fit_inside, image_inspect, renditions_make
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
