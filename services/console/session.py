"""Who is signed in: the unit's token in an HttpOnly, SameSite=Strict cookie.

The cookie holds the token itself, not a signed session. Signing would need a server secret and
would add nothing: the token is already the credential every API checks on every call, so a
forged or stale cookie gets the API's 401 and the sign-in page, and nothing is stored server-side.
HttpOnly keeps it from scripts, SameSite=Strict keeps other sites' pages from sending it, and
``FANGXIN_COOKIE_SECURE`` marks it Secure behind HTTPS. Forms also carry a CSRF token derived
from the session token (a hash a page of another origin cannot compute).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request, Response

from services.platform.auth import Credentials, Role

SESSION = "fangxin_session"
LANG = "fangxin_lang"
FLASH = "fangxin_flash"
MAX_AGE = 12 * 3600


@dataclass(frozen=True)
class User:
    token: str
    unit: str | None
    role: Role | None

    @property
    def can_act(self) -> bool:
        return self.role is not Role.AUDITOR

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.OFFICE, Role.AUDITOR)

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def csrf_token(token: str) -> str:
    return hashlib.sha256(f"fangxin-console-csrf:{token}".encode()).hexdigest()[:32]


def csrf_ok(token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(token), sent or "")


def current_user(request: Request, credentials: Credentials) -> User | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    caller = credentials.by_token(token)
    return User(token, caller.unit if caller else None, caller.role if caller else None)


def set_session(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(SESSION, token, max_age=MAX_AGE, httponly=True, samesite="strict",
                        secure=secure, path="/")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION, path="/", httponly=True, samesite="strict")
