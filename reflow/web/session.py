"""Who is signed in: a random session token in a cookie signed with a per-node secret.

The signing key a session acts with lives in this process's memory only — unsealed from the
node's keystore with the passphrase at sign-in, or parsed from a keyring the person pasted or
uploaded. Nothing of an uploaded keyring is written to disk, and a restart signs everyone out.
The cookie carries only the token and its HMAC; forms carry a CSRF token derived from it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from reflow.errors import AuthorisationError
from reflow.ledger.keys import KeyPair

COOKIE = "reflow_session"
SECRET_FILE = "web_secret"


@dataclass(frozen=True, slots=True)
class WebSession:
    token: str
    agent: str
    name: str
    key: KeyPair
    via: str  # keystore | keyring


def node_secret(data_dir: Path) -> bytes:
    """The per-node secret that signs cookies (made once, kept beside the node's keys)."""
    path = Path(data_dir) / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        secret = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secret)
        return secret


class Sessions:
    """The signed-in sessions of this process."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.by_token: dict[str, WebSession] = {}

    def _mac(self, purpose: str, token: str) -> str:
        return hmac.new(self.secret, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()

    def start(self, response: Response, agent: str, name: str, key: KeyPair, via: str) -> None:
        token = secrets.token_urlsafe(32)
        self.by_token[token] = WebSession(token, agent, name, key, via)
        response.set_cookie(
            COOKIE, f"{token}.{self._mac('cookie', token)}", httponly=True, samesite="strict"
        )

    def current(self, request: Request) -> WebSession | None:
        raw = request.cookies.get(COOKIE, "")
        token, _, mac = raw.partition(".")
        if not token or not hmac.compare_digest(mac, self._mac("cookie", token)):
            return None
        return self.by_token.get(token)

    def end(self, request: Request, response: Response) -> None:
        session = self.current(request)
        if session is not None:
            self.by_token.pop(session.token, None)
        response.delete_cookie(COOKIE)

    def csrf(self, session: WebSession | None) -> str:
        return "" if session is None else self._mac("csrf", session.token)

    def require(self, request: Request, form_token: str | None) -> WebSession:
        """The session a write acts for; refuses when signed out or the form is not ours."""
        session = self.current(request)
        if session is None:
            raise AuthorisationError(
                "sign in to record anything", field="session", rule="signed-in"
            )
        if not hmac.compare_digest(form_token or "", self.csrf(session)):
            raise AuthorisationError(
                "this form was not issued by this page; reload it", field="csrf", rule="csrf"
            )
        return session
