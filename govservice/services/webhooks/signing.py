"""How a delivery is signed: the Standard Webhooks scheme (https://www.standardwebhooks.com), so a
receiver can check it with any of that specification's published libraries.

* ``webhook-id``: the event's id (the same on every retry: receivers de-duplicate by it);
* ``webhook-timestamp``: the attempt's Unix time in seconds (receivers refuse old ones: replays);
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``.

The secret is ``whsec_<base64>`` and the HMAC key is the base64-decoded part. It is stored in that
form, as shown to the administrator once. Secrets issued before the scheme was adopted
(``whsec_<64 hex digits>``) keep working unchanged: hex digits are base64 too, so the same string
decodes to a 48-byte key on both sides. Those subscriptions still get the former
``Govservice-Signature: t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (keyed with the whole secret
string) beside the standard headers, so receivers written for it go on working until they switch.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 32
_LEGACY = re.compile(r"whsec_[0-9a-f]{64}")


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; raises ValueError if the rest is not base64."""
    encoded = secret.removeprefix(PREFIX)
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("the webhook secret is not whsec_<base64>") from exc


def standard_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    if _LEGACY.fullmatch(secret):
        headers["Govservice-Signature"] = legacy_signature(secret, timestamp, body)
    return headers


def legacy_signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
