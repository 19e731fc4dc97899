"""Tokens and keys. The only package that imports ``jose``.

* :class:`KeyStore` — the service's own ES256 signing keys, one for tokens and one for documents
  (created on first start, mode 0600, rotated each on its own: :func:`rotate_key`), and the JWKS that
  publishes their public halves.
* :func:`mint_token` — a signed token for the command line and the tests.
* :func:`sign_detached` / :func:`verify_detached` — signatures over documents (e-licences),
  typed so that a document signature is never accepted as a token, nor the reverse.
* :class:`Authenticator` — verifies a bearer token (own key, or an outside identity provider's
  JWKS fetched with httpx, see :mod:`.jwks`) and returns the
  :class:`~govservice.domain.actor.Actor`; its docstring lists the stable refusal codes.
"""

from govservice.auth.authenticator import Authenticator
from govservice.auth.keys import KeyStore, Purpose
from govservice.auth.keys import rotate as rotate_key
from govservice.auth.tokens import (
    InvalidSignature,
    VerifiedDocument,
    mint_token,
    sign_detached,
    verify_detached,
    verify_document,
)

__all__ = [
    "Authenticator",
    "InvalidSignature",
    "KeyStore",
    "Purpose",
    "VerifiedDocument",
    "mint_token",
    "rotate_key",
    "sign_detached",
    "verify_detached",
    "verify_document",
]
