"""Content-addressed storage of uploaded files (SHA-256), on a local directory by default.

A file is stored once however often it is uploaded; its address is its digest, so a stored
file cannot change without its address changing.

An upload is staged before its unit of work starts: written and synced under a temporary name,
which nothing addresses. The unit of work checks the upload and, if it takes it, places the staged
file under its address (a rename) before it writes the row that names it; a file that is not
placed is removed when the upload ends (one left by a process that died meanwhile is swept when
the next process starts: :meth:`LocalFileStore.sweep_staged`). So the slow part, the sync to
disk, is never inside a transaction (on SQLite, writers take turns: a sync there held up every
other writer), a crash never leaves a half-written file under a valid address, and a refused
upload leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

STALE_STAGED_SECONDS = 3600  # no upload stays staged this long: its process died mid-upload
log = logging.getLogger("govservice.storage")


class StagedFile(Protocol):
    @property
    def digest(self) -> str: ...

    async def keep(self) -> str:
        """Place the file under its address (idempotent); returns the digest."""
        ...


class FileStore(Protocol):
    def staged(self, content: bytes) -> AbstractAsyncContextManager[StagedFile]: ...
    async def get(self, digest: str) -> bytes: ...
    async def exists(self, digest: str) -> bool: ...


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class _LocalStaged:
    def __init__(self, store: LocalFileStore, digest: str, temporary: Path | None) -> None:
        self._store, self.digest, self.temporary = store, digest, temporary

    async def keep(self) -> str:
        if self.temporary is not None:
            await asyncio.to_thread(self._store._place, self.temporary, self.digest)
            self.temporary = None
        return self.digest


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._staging = root / "staging"  # on the same file system, so that placing is a rename

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("not a SHA-256 hex digest")
        return self._root / digest[:2] / digest[2:4] / digest

    @asynccontextmanager
    async def staged(self, content: bytes) -> AsyncIterator[_LocalStaged]:
        digest = sha256_hex(content)
        temporary = await asyncio.to_thread(self._stage, digest, content)
        staged = _LocalStaged(self, digest, temporary)
        try:
            yield staged
        finally:
            if staged.temporary is not None:  # not kept: the upload was refused or failed
                await asyncio.to_thread(staged.temporary.unlink, True)

    def _stage(self, digest: str, content: bytes) -> Path | None:
        """The content written and synced under a temporary name; None if it is stored already."""
        if self._path(digest).exists():
            return None
        self._staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._staging, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Path(name)

    def _place(self, temporary: Path, digest: str) -> None:
        path = self._path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, path)  # the same content if another upload placed it first

    def sweep_staged(self, older_than: float = STALE_STAGED_SECONDS) -> int:
        """Remove staged files older than ``older_than`` seconds; returns how many."""
        if not self._staging.is_dir():
            return 0
        cutoff, removed = time.time() - older_than, 0
        for path in self._staging.glob(".upload-*"):
            with contextlib.suppress(FileNotFoundError):  # another process swept it first
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        if removed:
            log.info("removed %d staged upload(s) left by a process that stopped mid-upload", removed)
        return removed

    async def get(self, digest: str) -> bytes:
        return await asyncio.to_thread(self._path(digest).read_bytes)

    async def exists(self, digest: str) -> bool:
        return await asyncio.to_thread(self._path(digest).exists)
