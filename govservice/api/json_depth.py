"""JSON nested deeper than any request of this API needs is refused before it is decoded.

msgspec decodes recursively: a body of 5,000 ``[`` ends in a RecursionError deep inside the
request's data extraction. The scan below looks only at brackets, quotes and backslashes, stops as
soon as the limit is passed, and is skipped when the body has too few brackets to be that deep.
"""

from __future__ import annotations

MAX_DEPTH = 32  # the deepest request body of the API is 5 levels (an inspection's measurements)

_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"\\')  # every byte but these is dropped


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in body.translate(None, _STRUCTURE):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False
