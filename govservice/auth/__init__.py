"""Tokens and keys. The only package that imports ``jose``.

* :class:`KeyStore` — the service's own ES256 signing key (created on first start, mode 0600)
  and the JWKS that publishes its public half.
* :func:`mint_token` — a signed token for the command line and the tests.
* :func:`sign_detached` / :func:`verify_detached` — signatures over documents (e-licences),
  typed so that a document signature is never accepted as a token, nor the reverse.
* :class:`Authenticator` — verifies a bearer token (own key, or an outside identity provider's
  JWKS fetched with httpx, see :mod:`.jwks`) and returns the
  :class:`~govservice.domain.actor.Actor`; its docstring lists the stable refusal codes.
"""

from govservice.auth.authenticator import Authenticator
from govservice.auth.keys import KeyStore
from govservice.auth.tokens import InvalidSignature, mint_token, sign_detached, verify_detached

__all__ = ["Authenticator", "InvalidSignature", "KeyStore", "mint_token", "sign_detached", "verify_detached"]
