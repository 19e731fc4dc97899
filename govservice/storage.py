"""Content-addressed storage of uploaded files (SHA-256), on a local directory by default.

A file is stored once however often it is uploaded; its address is its digest, so a stored
file cannot change without its address changing. Writes go to a temporary name first and are
renamed into place, so a crash never leaves a half-written file under a valid address.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class FileStore(Protocol):
    async def put(self, content: bytes) -> str: ...
    async def get(self, digest: str) -> bytes: ...
    async def exists(self, digest: str) -> bool: ...


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("not a SHA-256 hex digest")
        return self._root / digest[:2] / digest[2:4] / digest

    async def put(self, content: bytes) -> str:
        digest = sha256_hex(content)
        await asyncio.to_thread(self._write, digest, content)
        return digest

    def _write(self, digest: str, content: bytes) -> None:
        path = self._path(digest)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, digest: str) -> bytes:
        return await asyncio.to_thread(self._path(digest).read_bytes)

    async def exists(self, digest: str) -> bool:
        return await asyncio.to_thread(self._path(digest).exists)
