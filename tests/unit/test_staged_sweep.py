"""A process that dies between staging an upload and the end of its request leaves the staged
file behind; the next process to start sweeps such files once they are old enough that no live
upload can own them, and leaves younger ones alone."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from govservice.storage import STALE_STAGED_SECONDS, LocalFileStore


def test_old_staged_files_are_swept_and_young_ones_kept(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    assert store.sweep_staged() == 0  # nothing staged yet: no directory, no error

    async def refused_upload() -> Path:
        async with store.staged(b"%PDF-1.7 refused") as staged:
            assert staged.temporary is not None and staged.temporary.exists()
            return staged.temporary

    assert not asyncio.run(refused_upload()).exists()  # an upload that ends removes its own
    staging = tmp_path / "files" / "staging"
    old, young = staging / ".upload-old", staging / ".upload-young"
    old.write_bytes(b"from a process killed an hour and more ago")
    young.write_bytes(b"from an upload in flight")
    an_hour_ago = time.time() - STALE_STAGED_SECONDS - 60
    os.utime(old, (an_hour_ago, an_hour_ago))

    assert store.sweep_staged() == 1
    assert not old.exists() and young.exists()
    assert [p.name for p in staging.iterdir()] == [".upload-young"]
