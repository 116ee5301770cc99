"""Secrets at rest and keyed hashes of phone numbers.

Tenant secrets (Twilio auth tokens) and invitation phone numbers are stored
encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`). Keys
come from ``ENCRYPTION_KEYS`` (comma-separated Fernet keys; the first encrypts,
all decrypt, so keys can be rotated); without it a key is derived from
SECRET_KEY. A phone number is never stored in clear: conversations are found
by an HMAC of the number under ``PHONE_HASH_KEY`` (derived from SECRET_KEY
unless set). Changing either makes existing data unreadable or unfindable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from chatsurvey.config import MissingSetting

EXTENSION = "chatsurvey.crypto"


class Crypto:
    """Encryption and phone hashing for one app."""

    def __init__(self, keys: list[bytes], phone_key: bytes) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._phone_key = phone_key

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("cannot decrypt: the encryption keys have changed") from None

    def phone_hash(self, number: str) -> str:
        """A keyed hash of a phone number in E.164 form (it is never stored in clear)."""
        return hmac.new(self._phone_key, number.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode("utf-8"))


def init_app(app: Flask) -> None:
    """Keys from the settings; with no SECRET_KEY to derive them from (the command line
    without one), `crypto()` says what to set instead."""
    secret = app.config.get("SECRET_KEY")
    configured = app.config.get("ENCRYPTION_KEYS")
    phone = app.config.get("PHONE_HASH_KEY")
    if not secret and not (configured and phone):
        app.extensions[EXTENSION] = None
        return
    secret = str(secret or "")
    if configured:
        keys = [k.strip().encode("ascii") for k in str(configured).split(",") if k.strip()]
    else:
        keys = [base64.urlsafe_b64encode(_derive(secret, b"chatsurvey fernet"))]
    phone_key = str(phone).encode("utf-8") if phone else _derive(secret, b"chatsurvey phone hash")
    app.extensions[EXTENSION] = Crypto(keys, phone_key)


def crypto() -> Crypto:
    """The current app's Crypto; MissingSetting when there is no secret key to make it from."""
    found = current_app.extensions[EXTENSION]
    if found is None:
        raise MissingSetting.secret_key()
    return found


def normalise_number(raw: str, region: str = "GB") -> str:
    """A phone number in E.164 form ("+447700900123"); raises ValueError if it is not one."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    # Only numbers possible in full, not "possible as a local number" ("07700").
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValueError("not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
