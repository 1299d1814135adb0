"""Sample sources and upload builders shared by the code-check tests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

# Three issues: F401 (unused import), E225 (x=1), E302 (def after one blank line).
DIRTY = "import os\nx=1\n\ndef f(a):\n    return a\n"
# The same file with the import removed (fixed F401), E225 still there but one line up,
# E302 still there, and a new E231 (missing whitespace after ',').
DIRTY_V2 = "x=1\n\ndef f(a):\n    return [a,a]\n"
CLEAN = 'def f(a):\n    """Return a."""\n    return a\n'
SYNTAX_ERROR = "def f(:\n    pass\n"


def py_upload(content: str | bytes = DIRTY, name: str = "example.py") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/x-python")
