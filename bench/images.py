"""Images through the whole product (HTTP upload, row, broker, worker, renditions, row),
each beside what Pillow alone does with the same file in one process, in the same run.

- a 12 MP photo-like JPEG (noise over gradients, ~4 MB at quality 90, portrait EXIF tag),
  uploaded one at a time until the image reads `ready` (p50), beside Pillow in-process:
  `draft` decode, the renditions, and their files written;
- 20 such uploads at once, images/s, beside the same Pillow work on 2 threads;
- the peak memory (RSS) that 50 MP PNGs (as many at once as the worker has threads) add to
  the web server and to the worker, each beside what plain Pillow takes to decode one such
  picture in a fresh interpreter.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import ExifTags, ImageOps
from PIL import Image as PILImage

from bench.common import (
    ARTIFACTS,
    Row,
    bench_user,
    get_rate,
    percentile,
    process_peak_rss,
    start_web,
    start_worker,
    stop,
    tree_peak_rss,
)
from images.imaging import GRAYSCALE, JPEG_QUALITY, fit_inside
from tests.helpers import wait_for

RUNS = int(os.environ.get("BENCH_IMAGE_RUNS", "9"))
BURST = 20
GETS, GET_THREADS = int(os.environ.get("BENCH_IMAGE_GETS", "1000")), 8
WIDTH, HEIGHT = 4000, 3000  # 12 MP, the size of a common phone camera
BIG_SIDE = 7071  # 50 MP, just under IMAGE_MAX_PIXELS
WORKER_PROCESSES, WORKER_THREADS = 1, 4


def phone_photo() -> bytes:
    """A 12 MP JPEG with photo-like detail (noise over gradients) and a portrait EXIF tag."""
    gradient = PILImage.linear_gradient("L").resize((WIDTH, HEIGHT))
    noise = PILImage.effect_noise((WIDTH, HEIGHT), 14)
    img = PILImage.merge("RGB", (gradient, noise, gradient.transpose(PILImage.Transpose.FLIP_LEFT_RIGHT)))
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def big_png() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (BIG_SIDE, BIG_SIDE), "white").save(buffer, "PNG")
    return buffer.getvalue()


def pillow_renditions(content: bytes, sizes: Sequence[int], directory: Path) -> None:
    """The floor: Pillow alone, `draft` decode, each rendition resized and written to a file."""
    img = PILImage.open(io.BytesIO(content))
    width, height = fit_inside(*img.size, max(sizes))
    img.draft("RGB", (width, height))
    img = ImageOps.exif_transpose(img)
    largest = None
    for size in sorted(sizes, reverse=True):
        rendition = img.resize(fit_inside(*img.size, size), PILImage.Resampling.LANCZOS, reducing_gap=3.0)
        rendition.save(directory / f"{size}.jpg", "JPEG", quality=JPEG_QUALITY)
        largest = largest or rendition
    largest.convert("L").save(directory / f"{GRAYSCALE}.jpg", "JPEG", quality=JPEG_QUALITY)


def _decode_peak_growth(path: str) -> int:
    """In a fresh interpreter: how far plain Pillow's decode raises the peak RSS (bytes)."""
    before = process_peak_rss(os.getpid())
    with PILImage.open(path) as img:
        img.load()
    return process_peak_rss(os.getpid()) - before


class Uploads:
    """Uploads over HTTP to a fresh web server and worker, timed until the row is `ready`."""

    def __init__(self, user) -> None:
        from rest_framework_simplejwt.tokens import RefreshToken

        self.worker = start_worker(name="images-worker", processes=WORKER_PROCESSES, threads=WORKER_THREADS)
        self.web, self.base = start_web()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {RefreshToken.for_user(user).access_token}"

    def post(self, content: bytes, name: str = "photo.jpg") -> tuple[str, float]:
        started = time.time()
        response = self.session.post(f"{self.base}/api/images/", files={"file": (name, content)}, timeout=120)
        response.raise_for_status()
        return response.json()["id"], started

    def wait_ready(self, ids: Sequence[str]) -> dict[str, float]:
        """When each image became ready (its row's last write, on the same clock)."""
        from images.models import Image

        def done() -> bool:
            rows = Image.objects.filter(id__in=ids).exclude(status="processing")
            return rows.count() == len(ids)

        wait_for(done, timeout=600, what="the images to be processed")
        rows = Image.objects.filter(id__in=ids)
        failed = [row.error for row in rows if row.status != "ready"]
        assert not failed, failed
        return {str(row.id): row.updated_at.timestamp() for row in rows}

    def stop(self) -> None:
        stop(self.web)
        self.worker.stop()


def _project_latency_and_burst(user, content: bytes) -> tuple[list[float], float, dict[str, float]]:
    """Upload latencies, the burst's rate, and GET rates (req/s) of one image, the list and /healthz."""
    uploads = Uploads(user)
    try:
        latencies = []
        for _ in range(RUNS):
            image_id, started = uploads.post(content)
            latencies.append((uploads.wait_ready([image_id])[image_id] - started) * 1000)
        headers = dict(uploads.session.headers)
        gets = {
            name: get_rate(f"{uploads.base}{path}", headers=headers, threads=GET_THREADS, count=GETS)[0]
            for name, path in [
                ("one", f"/api/images/{image_id}/"),
                ("list", "/api/images/"),
                ("healthz", "/healthz"),
            ]
        }
        with ThreadPoolExecutor(BURST) as pool:
            posted = list(pool.map(lambda _: uploads.post(content), range(BURST)))
        ready = uploads.wait_ready([image_id for image_id, _ in posted])
        rate = BURST / (max(ready.values()) - min(started for _, started in posted))
    finally:
        uploads.stop()
    return latencies, rate, gets


def _project_peak_rss(user, content: bytes) -> tuple[int, int]:
    """Peak RSS growth of the web server and the worker while 50 MP PNGs go through."""
    uploads = Uploads(user)
    try:
        small = io.BytesIO()
        PILImage.new("RGB", (64, 64)).save(small, "PNG")
        uploads.wait_ready([uploads.post(small.getvalue(), "warm-up.png")[0]])
        web_before, worker_before = tree_peak_rss(uploads.web.pid), tree_peak_rss(uploads.worker.proc.pid)
        with ThreadPoolExecutor(WORKER_THREADS) as pool:
            posted = list(pool.map(lambda _: uploads.post(content, "big.png"), range(WORKER_THREADS)))
        uploads.wait_ready([image_id for image_id, _ in posted])
        return (
            tree_peak_rss(uploads.web.pid) - web_before,
            tree_peak_rss(uploads.worker.proc.pid) - worker_before,
        )
    finally:
        uploads.stop()


def _pillow_latency_and_burst(content: bytes, sizes: Sequence[int]) -> tuple[list[float], float]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        latencies = []
        for _ in range(RUNS):
            started = time.perf_counter()
            pillow_renditions(content, sizes, directory)
            latencies.append((time.perf_counter() - started) * 1000)
        targets = [directory / str(n) for n in range(BURST)]
        for target in targets:
            target.mkdir()
        started = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda target: pillow_renditions(content, sizes, target), targets))
        rate = BURST / (time.perf_counter() - started)
    return latencies, rate


def run() -> list[Row]:
    from django.conf import settings

    from images.models import Image
    from images.services import image_delete

    sizes = list(settings.IMAGE_RENDITION_SIZES)
    user = bench_user("bench-images@example.com")
    photo, png = phone_photo(), big_png()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png_path = ARTIFACTS / "white-50mp.png"
    png_path.write_bytes(png)
    try:
        # Pillow first and last, so a machine that got busier meanwhile shows in the limits.
        floor_first, floor_rate_first = _pillow_latency_and_burst(photo, sizes)
        latencies, rate, gets = _project_latency_and_burst(user, photo)
        floor_last, floor_rate_last = _pillow_latency_and_burst(photo, sizes)
        web_growth, worker_growth = _project_peak_rss(user, png)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            decode_growth = pool.apply(_decode_peak_growth, (str(png_path),))
    finally:
        png_path.unlink()
        for image in Image.objects.filter(owner=user):
            image_delete(image=image)

    floor = statistics.median(floor_first + floor_last)
    floor_rate = statistics.median([floor_rate_first, floor_rate_last])
    photo_note = f"{WIDTH}x{HEIGHT} JPEG, {len(photo) / 1e6:.1f} MB, {len(sizes) + 1} renditions"
    workers = f"worker {WORKER_PROCESSES}x{WORKER_THREADS} threads"
    mb = 1024 * 1024
    big_note = (
        f"{WORKER_THREADS} {BIG_SIDE}x{BIG_SIDE} PNGs at once ({len(png) / 1e3:.0f} kB each), {workers}"
    )
    return [
        Row(
            "images",
            f"upload until ready p50 ({RUNS}, one at a time)",
            percentile(latencies, 50),
            floor,
            "Pillow in-process: draft, renditions, files written",
            "ms",
            higher_is_better=False,
            note=photo_note,
            goal="≤ 1.5x",
        ),
        Row(
            "images",
            f"{BURST} uploads at once",
            rate,
            floor_rate,
            "the same Pillow work on 2 threads",
            "images/s",
            note=f"{photo_note}, {workers}",
            goal="≥ 0.6x",
        ),
        *(
            Row(
                "images",
                f"GET {what}, {GET_THREADS} threads kept-alive",
                gets[name],
                gets["healthz"],
                "GET /healthz, same client",
                "req/s",
                note=f"{RUNS} images listed",
                goal="≥ 0.5x",
            )
            for name, what in [("one", "one image"), ("list", "the image list")]
        ),
        Row(
            "images",
            "web peak RSS growth, 50 MP uploads",
            web_growth / mb,
            decode_growth / mb,
            "plain Pillow decoding one of them",
            "MB",
            higher_is_better=False,
            note=big_note,
            goal="≤ 0.1x",
        ),
        Row(
            "images",
            "worker peak RSS growth, 50 MP uploads",
            worker_growth / mb,
            decode_growth / mb,
            "plain Pillow decoding one of them",
            "MB",
            higher_is_better=False,
            note=f"{big_note}, IMAGE_LARGE_DECODES={settings.IMAGE_LARGE_DECODES}",
            goal="≤ 1.5x",
        ),
    ]
