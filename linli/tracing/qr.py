"""A public place's QR code: the short check-in URL /c/<token>/ and its picture.

The token is the place id with a truncated HMAC of it (django.core.signing, our own salt), so
it is stable (a printed poster stays valid; no database field) and nobody can check in at a
place they are not at by counting ids. 16 base64 characters are 96 bits: unguessable, yet the
URL stays short enough for a QR code a phone reads from across a shop door.
"""

import segno
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

SALT = "linli.tracing.place-qr"
SIGNATURE_CHARS = 16


def _signature(place_id: int) -> str:
    return signing.Signer(salt=SALT).signature(str(int(place_id)))[:SIGNATURE_CHARS]


def place_token(place_id: int) -> str:
    return f"{int(place_id)}-{_signature(place_id)}"


def place_id_from_token(token: str) -> int | None:
    """The place id a token was made for, or None if it was not made by us."""
    number, _sep, signature = (token or "").strip().partition("-")
    if not number.isdigit() or len(number) > 18 or not signature:
        return None
    if not constant_time_compare(signature, _signature(int(number))):
        return None
    return int(number)


def checkin_path(place_id: int) -> str:
    return reverse("checkin:scan", args=[place_token(place_id)])


def checkin_url(request, place_id: int) -> str:
    """The absolute URL printed on the poster (the host the staff member is using)."""
    return request.build_absolute_uri(checkin_path(place_id))


def qr_svg(data: str, *, scale: int = 10, title: str = "") -> str:
    """An inline SVG QR code; error level Q survives a poster that gets dirty or creased. No
    fixed size, only a viewBox: the stylesheet fits it to a phone screen or a printed page."""
    return segno.make(data, error="q").svg_inline(
        scale=scale, title=title or None, border=2, omitsize=True
    )
