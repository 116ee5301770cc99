"""The TOTP second factor: provisioning links and checking a six-digit code once."""

from __future__ import annotations

import hmac
import re
import time

from flask import current_app
from pyotp.totp import TOTP

from chatsurvey.accounts.models import User


def totp_uri(user: User) -> str:
    return TOTP(user.totp_secret or "").provisioning_uri(
        name=user.email, issuer_name=current_app.config["ADMIN_TOTP_ISSUER"])


def check_totp(user: User, code: str, now: float | None = None) -> bool:
    """A current code (±30 s) that was not used before; remembers it so it works once."""
    code = re.sub(r"\s", "", code or "")
    if not (user.totp_secret and re.fullmatch(r"\d{6}", code)):
        return False
    totp = TOTP(user.totp_secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.at(candidate * totp.interval), code):
            if user.totp_last_step is not None and candidate <= user.totp_last_step:
                return False
            user.totp_last_step = candidate
            return True
    return False
