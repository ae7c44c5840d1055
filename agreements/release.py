"""Which release of the code is running: part of every validator the public responses carry.

A new release may render the same data differently (a template, a translation, a library), so
a browser's or proxy's copy from the old release must not be confirmed as current. The release
is a fingerprint of the files that shape responses, read once per process, and the time of the
newest of them: no version number to remember to raise.
"""

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from django.conf import settings

# What shapes a response: code, templates, compiled translations and the locked libraries.
PARTS = ("agreements", "registry", "templates", "locale", "requirements.lock")
SKIPPED = {"__pycache__", "tests"}


def _files(root: Path):
    for part in PARTS:
        path = root / part
        if path.is_file():
            yield path
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                if (
                    file.is_file()
                    and file.suffix not in {".pyc", ".po"}
                    and not SKIPPED & set(file.relative_to(root).parts)
                ):
                    yield file


@cache
def release() -> tuple[str, datetime]:
    """(fingerprint, time of the newest file) of the running code."""
    root = Path(settings.BASE_DIR)
    digest, newest = hashlib.sha256(), 0.0
    for file in _files(root):
        digest.update(str(file.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        newest = max(newest, file.stat().st_mtime)
    return digest.hexdigest()[:16], datetime.fromtimestamp(int(newest), tz=UTC)
