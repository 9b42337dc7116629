"""Encryption at rest and keyed hashes for sensitive identifiers (DESIGN.md, PIPL art. 28).

An ID number is stored three ways: Fernet ciphertext (readable only with LINLI_FIELD_KEY), an
HMAC-SHA256 of the normalised number (exact lookup and duplicate detection without decrypting),
and a masked form for lists. The plain number is never stored.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[Fernet, bytes]:
    # Two independent keys from one secret, so the lookup hash reveals nothing about the cipher.
    enc = hashlib.sha256(b"linli-fernet:" + secret.encode()).digest()
    mac = hashlib.sha256(b"linli-hmac:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(enc)), mac


def encrypt(plain: str) -> str:
    fernet, _ = _keys(settings.LINLI_FIELD_KEY)
    return fernet.encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    fernet, _ = _keys(settings.LINLI_FIELD_KEY)
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong LINLI_FIELD_KEY or damaged value") from exc


def keyed_hash(plain: str) -> str:
    _, mac = _keys(settings.LINLI_FIELD_KEY)
    return hmac.new(mac, plain.encode(), hashlib.sha256).hexdigest()
