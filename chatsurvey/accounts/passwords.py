"""Staff passwords: argon2id hashes and the rules a new password must meet.

Used by the admin's forms and by `chatsurvey users` alike, so a password set on
the server passes exactly the same rules as one chosen in a browser.
"""

from __future__ import annotations

import contextlib
import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from chatsurvey.accounts.models import User

hasher = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)."""
_DUMMY = hasher.hash("not a real password, for timing")

COMMON = frozenset("""password passw0rd qwerty qwertyuiop letmein welcome admin administrator
iloveyou monkey dragon football baseball sunshine princess starwars trustno1 abc123 123456
1234567890 changeme secret chatsurvey brightspots council survey""".split())


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists; rehashes old parameters."""
    if user is None or not user.password_hash:
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY, password + "x")
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


@cache
def _words() -> frozenset[str]:
    from chatsurvey.responses.redact import english_words

    return english_words()


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why a new password is not good enough, in words (None if it is fine)."""
    config = current_app.config
    if len(password) < config["ADMIN_PASSWORD_MIN"]:
        return (f"Use at least {config['ADMIN_PASSWORD_MIN']} characters. A few unrelated words"
                " make a long password that is easy to remember.")
    if len(password) > config["ADMIN_PASSWORD_MAX"]:
        return f"Use at most {config['ADMIN_PASSWORD_MAX']} characters."
    core = re.sub(r"[^a-z]", "", password.lower())
    if len(set(password)) < 5 or password.lower() in COMMON or core in COMMON \
            or (core in _words() and len(core) >= len(password) - 4):
        return "This password is too easy to guess. Try three or four unrelated words."
    local = email.split("@")[0].lower()
    if (len(local) >= 4 and local in password.lower()) or (
            name and len(name) >= 4 and name.lower() in password.lower()):
        return "Do not use your name or e-mail address in your password."
    return None
