"""Images: milliseconds to make every rendition of a 12-megapixel phone JPEG, and the peak
memory of a process doing it, beside a naive Pillow pipeline (full decode, `resize` to each
size, `convert("L")`) measured in the same run on the same file.

Both pipelines produce the same renditions (same sizes, EXIF orientation applied, encoded
the same way), so the difference is the decoding: the project decodes the JPEG at reduced
scale (`draft`) and reduces by whole factors before the final resample.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable, Sequence

from PIL import ExifTags, ImageOps
from PIL import Image as PILImage

from bench.common import Row
from images.imaging import JPEG_QUALITY, fit_inside, renditions_make

RUNS = int(os.environ.get("BENCH_IMAGE_RUNS", "7"))
WIDTH, HEIGHT = 4000, 3000  # 12 MP, the size of a common phone camera
MAX_PIXELS = 50_000_000


def phone_photo() -> bytes:
    """A 12 MP JPEG with photo-like detail (noise over gradients) and a portrait EXIF tag."""
    gradient = PILImage.linear_gradient("L").resize((WIDTH, HEIGHT))
    noise = PILImage.effect_noise((WIDTH, HEIGHT), 40)
    img = PILImage.merge("RGB", (gradient, noise, gradient.transpose(PILImage.Transpose.FLIP_LEFT_RIGHT)))
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def project(content: bytes, sizes: Sequence[int]) -> int:
    _, renditions = renditions_make(io.BytesIO(content), sizes=sizes, max_pixels=MAX_PIXELS)
    return len(renditions)


def naive(content: bytes, sizes: Sequence[int]) -> int:
    """The straightforward way: decode every pixel, then resize the full image each time."""
    img = ImageOps.exif_transpose(PILImage.open(io.BytesIO(content)))
    outputs = []
    for size in sorted(sizes, reverse=True):
        outputs.append(img.resize(fit_inside(img.width, img.height, size), PILImage.Resampling.LANCZOS))
    largest = fit_inside(img.width, img.height, max(sizes))
    outputs.append(img.convert("L").resize(largest, PILImage.Resampling.LANCZOS))
    for output in outputs:
        output.save(io.BytesIO(), "JPEG", quality=JPEG_QUALITY)
    return len(outputs)


def _peak_rss_growth_mb(
    pipeline: Callable[[bytes, Sequence[int]], int], path: str, sizes: Sequence[int]
) -> float:
    """In a fresh interpreter: how far the pipeline raises the peak resident memory."""
    with open(path, "rb") as handle:
        content = handle.read()
    before = _peak_rss_kb()
    pipeline(content, sizes)
    return (_peak_rss_kb() - before) / 1024


def _peak_rss_kb() -> int:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: Linux carries that over exec
    from the parent it was forked from, which here is the big benchmark process."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def run() -> list[Row]:
    from django.conf import settings

    from bench.common import ARTIFACTS

    sizes = list(settings.IMAGE_RENDITION_SIZES)
    content = phone_photo()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "phone-photo-12mp.jpg"
    path.write_bytes(content)

    timings: dict[str, list[float]] = {"project": [], "naive": []}
    for _ in range(RUNS):  # interleaved, so both see the same machine
        for name, pipeline in (("project", project), ("naive", naive)):
            started = time.perf_counter()
            assert pipeline(content, sizes) == len(sizes) + 1
            timings[name].append((time.perf_counter() - started) * 1000)

    rss = {}
    for name, pipeline in (("project", project), ("naive", naive)):
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            rss[name] = pool.apply(_peak_rss_growth_mb, (pipeline, str(path), sizes))
    path.unlink()

    note = (
        f"{WIDTH}x{HEIGHT} JPEG ({len(content) / 1e6:.1f} MB), {len(sizes) + 1} renditions, median of {RUNS}"
    )
    return [
        Row(
            capability="images",
            metric="ms to make all renditions",
            project=statistics.median(timings["project"]),
            baseline=statistics.median(timings["naive"]),
            baseline_name="naive Pillow (full decode, resize, convert L)",
            unit="ms",
            higher_is_better=False,
            note=note,
        ),
        Row(
            capability="images",
            metric="peak RSS growth while doing it",
            project=rss["project"],
            baseline=rss["naive"],
            baseline_name="naive Pillow (full decode, resize, convert L)",
            unit="MB",
            higher_is_better=False,
            note="each in a fresh interpreter, above its peak before the run",
        ),
    ]
