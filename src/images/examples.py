"""OpenAPI examples for the image endpoints: what a client sends and gets back."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

IMAGE_ID = "6d1f0a52-3c4b-4e8f-9a7d-5b2c1e0f9d84"
FILE_URL = f"/api/images/{IMAGE_ID}/file/"
MULTIPART = "multipart/form-data"
NOT_AN_IMAGE = "The file is not an image (JPEG, PNG, WebP, GIF, BMP or TIFF)."

PROCESSING = {
    "id": IMAGE_ID,
    "name": "Harbour at dusk",
    "file_path": f"images/{IMAGE_ID}/original.jpg",
    "uploaded_at": "2026-12-02T09:30:00.120000Z",
    "resolution": "4032x3024",
    "width": 4032,
    "height": 3024,
    "size": 2481152,
    "format": "JPEG",
    "mode": "RGB",
    "tags": ["harbour", "evening"],
    "status": "processing",
    "error": "",
    "renditions": [],
    "task": "0b7e4c2a-5d6f-4a1b-8c9d-3e2f1a0b9c8d",
}
READY = {
    **PROCESSING,
    "status": "ready",
    "renditions": [
        {"name": "100x100", "width": 100, "height": 75, "size": 3412, "url": f"{FILE_URL}?rendition=100x100"},
        {
            "name": "500x500",
            "width": 500,
            "height": 375,
            "size": 41870,
            "url": f"{FILE_URL}?rendition=500x500",
        },
        {
            "name": "grayscale",
            "width": 4032,
            "height": 3024,
            "size": 1734012,
            "url": f"{FILE_URL}?rendition=grayscale",
        },
    ],
}
FAILED = {
    **PROCESSING,
    "status": "failed",
    "error": "The image is damaged or truncated (image file is truncated).",
}

UPLOAD = [
    OpenApiExample(
        "Upload with tags",
        value={"file": "(the image's bytes)", "name": "Harbour at dusk", "tags": ["harbour", "evening"]},
        media_type=MULTIPART,
        request_only=True,
        description="`tags` may also be repeated fields, or one comma-separated value.",
    ),
    OpenApiExample("Uploaded, processing", value=PROCESSING, response_only=True, status_codes=[201]),
    OpenApiExample(
        "Not an image",
        value={"detail": NOT_AN_IMAGE, "file": [NOT_AN_IMAGE]},
        response_only=True,
        status_codes=[400],
    ),
    OpenApiExample(
        "Too large",
        value={"detail": "The file is 24,117,248 bytes; images may be at most 20,971,520 bytes."},
        response_only=True,
        status_codes=[413],
    ),
]

IMAGES = [OpenApiExample("A ready image", value=READY, response_only=True)]

IMAGE = [
    OpenApiExample("Ready", value=READY, response_only=True),
    OpenApiExample("Processing", value=PROCESSING, response_only=True),
    OpenApiExample("Failed", value=FAILED, response_only=True),
]

CHANGE = [
    OpenApiExample(
        "Rename and retag", value={"name": "Harbour, winter", "tags": ["harbour"]}, request_only=True
    ),
    OpenApiExample(
        "Changed", value={**READY, "name": "Harbour, winter", "tags": ["harbour"]}, response_only=True
    ),
]

PARTIAL_CHANGE = [
    OpenApiExample("Retag only", value={"tags": ["harbour", "winter"]}, request_only=True),
    OpenApiExample("Changed", value={**READY, "tags": ["harbour", "winter"]}, response_only=True),
]
