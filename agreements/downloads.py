"""The published bulk downloads: where they live, which one is current, and how a new one
replaces it without anyone ever seeing half a file.

A download is written to a temporary file in the same directory, flushed to disk, then renamed
into place (`os.replace` is atomic within one file system); only then does the manifest, also
replaced atomically, name it. A reader therefore finds either the previous complete file or the
new complete one. Older files are deleted after the manifest names the new one, so a download
that started from the previous manifest keeps its open file (POSIX keeps a deleted file's data
while it is open).
"""

import fcntl
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

PREFIX = "samverkansregistret-"
SUFFIX = ".zip"
MANIFEST = "manifest.json"
LOCK = ".export.lock"
PARTIAL = ".partial"


class ExportRunning(Exception):
    """Another export holds the directory's lock."""


@dataclass(frozen=True)
class Export:
    file_name: str
    sha256: str
    size: int
    created_at: datetime
    generation: int

    @property
    def path(self):
        return directory() / self.file_name

    def as_json(self):
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "size": self.size,
            "created_at": self.created_at.isoformat(),
            "generation": self.generation,
        }


def directory():
    return Path(settings.REGISTRY_EXPORT_DIR)


def latest():
    """The export the manifest names, or None when there is none (or its file is gone)."""
    try:
        data = json.loads((directory() / MANIFEST).read_text(encoding="utf-8"))
        found = Export(
            file_name=data["file_name"],
            sha256=data["sha256"],
            size=int(data["size"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            generation=int(data["generation"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # Only names this module writes: a manifest edited by hand cannot point outside.
    if Path(found.file_name).name != found.file_name or not found.file_name.startswith(PREFIX):
        return None
    return found if found.path.is_file() else None


def open_latest():
    """(export, open binary file) of the current export, or (None, None). Retried once: the
    file the manifest named may be pruned between reading the manifest and opening it."""
    for _attempt in range(2):
        found = latest()
        if found is None:
            return None, None
        try:
            return found, found.path.open("rb")
        except FileNotFoundError:
            continue
    return None, None


@contextmanager
def exclusive():
    """One export at a time per directory (a timer's run and one started by hand)."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportRunning(str(folder)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_directory(folder):
    # The rename itself is durable only once the directory is on disk too.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_file_atomically(final, write):
    """Write through `write(binary file)` to a temporary file beside `final`, then rename.
    Returns what `write` returns."""
    folder = final.parent
    with tempfile.NamedTemporaryFile(
        dir=folder, prefix=f".{final.name}.", suffix=PARTIAL, delete=False
    ) as handle:
        try:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
    try:
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, final)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _fsync_directory(folder)
    return result


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_name_for(created_at):
    folder = directory()
    name = f"{PREFIX}{created_at:%Y%m%dT%H%M%SZ}"
    # Two exports in one second: never replace the file the manifest may name.
    candidate, number = f"{name}{SUFFIX}", 1
    while (folder / candidate).exists():
        number += 1
        candidate = f"{name}-{number}{SUFFIX}"
    return candidate


def publish(write, created_at):
    """Write a new export with `write(binary file)`, which returns the registry generation it
    shows; make it current and prune old ones. Call inside `exclusive()`. Returns the new
    Export."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / file_name_for(created_at)
    generation = _write_file_atomically(final, write)
    export = Export(
        file_name=final.name,
        sha256=_sha256(final),
        size=final.stat().st_size,
        created_at=created_at,
        generation=generation,
    )
    manifest = json.dumps(export.as_json(), indent=2).encode() + b"\n"
    try:
        _write_file_atomically(folder / MANIFEST, lambda handle: handle.write(manifest))
    except BaseException:
        final.unlink(missing_ok=True)  # named by no manifest: nobody can be reading it
        raise
    prune(keep=settings.REGISTRY_EXPORT_KEEP)
    return export


def published_files():
    """The export files in the directory, newest first (names sort by their time)."""
    folder = directory()
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.suffix == SUFFIX]
    return sorted(files, key=lambda p: p.name, reverse=True)


def prune(keep):
    """Keep the newest `keep` exports (never the current one's file), and remove temporary
    files a crashed export left behind (the caller holds the lock: none is being written)."""
    current = latest()
    kept = 0
    for path in published_files():
        if (current and path.name == current.file_name) or kept < keep:
            kept += 1
            continue
        path.unlink(missing_ok=True)
    for path in directory().glob(f".*{PARTIAL}"):
        path.unlink(missing_ok=True)
