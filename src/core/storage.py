"""The object storage backend used when S3_BUCKET is set: django-storages' S3, made to keep
Django's file storage contract.

Code written against local storage expects a missing file to raise FileNotFoundError and
any other storage trouble (a full disk) to raise OSError; boto3 raises its own errors
instead. Translating them here keeps every caller (processing retries a storage error,
downloads answer 404 for a missing file) the same whichever storage is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3File, S3Storage
from storages.utils import clean_name

# What S3-compatible stores answer for a missing object (HEAD has no body, so no code).
MISSING_OBJECT_CODES = {"404", "NoSuchKey", "NotFound"}


@contextmanager
def object_store_errors(name: str) -> Iterator[None]:
    """Raise a missing object as FileNotFoundError and other object store errors as OSError."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in MISSING_OBJECT_CODES:
            raise FileNotFoundError(f"No object {name!r} in the bucket.") from exc
        raise OSError(f"Object store error on {name!r}: {exc}") from exc
    except BotoCoreError as exc:
        raise OSError(f"Object store unreachable for {name!r}: {exc}") from exc


class FileChunks(Iterator[bytes]):
    """A stored file's bytes, `chunk_size` at a time; close() closes the file, even unread.

    (A generator would not: closing one that never started skips its `finally`.)
    """

    def __init__(self, *, read: Callable[[int], bytes], close: Callable[[], None], chunk_size: int) -> None:
        self._read, self._close, self._chunk_size = read, close, chunk_size

    def __next__(self) -> bytes:
        chunk = self._read(self._chunk_size)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._close()


class BucketFile(S3File):
    """An object opened for reading: its download (on first read) raises like a local file."""

    def _get_file(self):
        with object_store_errors(self.name):
            return super()._get_file()

    file = property(_get_file, S3File._set_file)


class BucketStorage(S3Storage):
    """S3Storage whose errors are FileNotFoundError or OSError, and which can stream an object."""

    def _open(self, name: str, mode: str = "rb") -> BucketFile:
        with object_store_errors(name):
            return BucketFile(self._normalize_name(clean_name(name)), mode, self)

    def _save(self, name: str, content) -> str:
        with object_store_errors(name):
            return super()._save(name, content)

    def delete(self, name: str) -> None:
        with object_store_errors(name):
            super().delete(name)

    def exists(self, name: str) -> bool:
        with object_store_errors(name):
            return super().exists(name)

    def listdir(self, name: str) -> tuple[list[str], list[str]]:
        with object_store_errors(name):
            return super().listdir(name)

    def size(self, name: str) -> int:
        with object_store_errors(name):
            return super().size(name)

    def stream(self, name: str, *, chunk_size: int) -> tuple[int, FileChunks]:
        """The object's size and its bytes as they arrive from one GET, never all in memory."""
        key = self._normalize_name(clean_name(name))
        with object_store_errors(name):
            response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        body = response["Body"]

        def read(size: int) -> bytes:
            with object_store_errors(name):
                return body.read(size)

        return response["ContentLength"], FileChunks(read=read, close=body.close, chunk_size=chunk_size)
