"""Where an uploaded file goes: staged (written and synced under a temporary name) before the unit
of work, placed under its content address only when the upload is taken. A refused upload leaves
no file behind, taken or staged; the same content uploaded twice is stored once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from govservice.config import Settings
from tests.api.apps_helpers import ENT_A, ENT_B, PDF, create, upload
from tests.conftest import TokenFactory


def _stored(settings: Settings) -> dict[str, bytes]:
    """Every file under the store, addressed or staged, by its name."""
    root = settings.var_dir / "files"
    return {p.name: p.read_bytes() for p in Path(root).rglob("*") if p.is_file()} if root.exists() else {}


async def test_a_refused_upload_leaves_no_file_and_a_taken_one_is_stored_once_under_its_digest(
    client: httpx.AsyncClient, auth: TokenFactory, settings: Settings
) -> None:
    owner = auth("applicant", sub="user-a", ent=ENT_A)
    stranger = auth("applicant", sub="user-b", ent=ENT_B)
    app = await create(client, owner)
    code = app["materials"][0]["code"]
    content = PDF + b"% the floor plan\n"
    digest = hashlib.sha256(content).hexdigest()

    refused = [
        await upload(client, stranger, app["id"], code, content),  # another enterprise's application
        await upload(client, owner, app["id"], "no_such_material", content),
        await upload(client, owner, app["id"], code, content, filename="plan.exe"),
    ]
    assert [r.status_code for r in refused] == [404, 422, 422], [r.text for r in refused]
    assert _stored(settings) == {}

    for _ in range(2):
        taken = await upload(client, owner, app["id"], code, content)
        assert taken.status_code == 201, taken.text
        assert taken.json()["sha256"] == digest
    assert _stored(settings) == {digest: content}  # once, under its address; nothing left staged
