"""OpenAPI for the async file view, which drf-spectacular cannot see (it is not a DRF view)."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.conf import settings

from core.schema import ERROR, FIELD_ERRORS
from images.imaging import SUPPORTED_FORMATS, rendition_names

FILE_PATH = "/api/images/{id}/file/"
# What the view can answer: the type it guesses from the stored file's extension, or
# application/octet-stream where it cannot guess (as the view does).
FALLBACK_TYPE = "application/octet-stream"


def download_content_types() -> list[str]:
    extensions = sorted(set(SUPPORTED_FORMATS.values()) | {"jpg", "png"})  # renditions are JPEG or PNG
    guessed = {mimetypes.guess_type(f"file.{extension}")[0] for extension in extensions}
    return [*sorted(kind for kind in guessed if kind is not None), FALLBACK_TYPE]


def _example(value: dict[str, Any]) -> dict[str, Any]:
    return {"typical": {"summary": "Typical answer", "value": value}}


def document_file_view(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook that adds the download endpoint."""
    names = ["original", *rendition_names(settings.IMAGE_RENDITION_SIZES)]
    # Both components are added by core.schema.document_error_responses, which runs after.
    detail = {"$ref": f"#/components/schemas/{ERROR}"}
    field_errors = {"$ref": f"#/components/schemas/{FIELD_ERRORS}"}
    result["paths"][FILE_PATH] = {
        "get": {
            "operationId": "images_file_retrieve",
            "summary": "Download the original or a rendition",
            "description": (
                "Streams the bytes (an async view). The original is there from the upload; a "
                "rendition answers 404 until the worker has made it."
            ),
            "tags": ["images"],
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "format": "uuid"},
                },
                {
                    "name": "rendition",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": names, "default": "original"},
                },
            ],
            "security": [{"jwtAuth": []}, {"cookieAuth": []}],
            "responses": {
                "200": {
                    "description": "The file's bytes.",
                    "content": {
                        content_type: {"schema": {"type": "string", "format": "binary"}}
                        for content_type in download_content_types()
                    },
                },
                "400": {
                    "description": "Unknown rendition name.",
                    "content": {
                        "application/json": {
                            "schema": field_errors,
                            "examples": _example(
                                {
                                    "rendition": [
                                        f"Unknown rendition 'huge'. Choose one of: {', '.join(names)}."
                                    ]
                                }
                            ),
                        }
                    },
                },
                "401": {
                    "description": "No or bad credentials.",
                    "content": {"application/json": {"schema": detail}},
                },
                "404": {
                    "description": "No such image for this user, or the rendition is not ready.",
                    "content": {
                        "application/json": {
                            "schema": detail,
                            "examples": _example(
                                {"detail": "The 500x500 rendition is not ready (the image is processing)."}
                            ),
                        }
                    },
                },
            },
        }
    }
    if settings.S3_PRESIGNED_SECONDS:
        # This deployment hands downloads to its bucket (see S3_PRESIGNED_SECONDS).
        result["paths"][FILE_PATH]["get"]["responses"]["302"] = {
            "description": (
                f"The file is in the bucket: `Location` is a presigned URL of it, valid "
                f"{settings.S3_PRESIGNED_SECONDS} s."
            ),
            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
        }
    return result
