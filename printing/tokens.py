"""The signed code in an extract's QR: which issue it is, signed with the site's secret.

A forged or altered code fails `signing.BadSignature`. The code names the issue
only; the verification page reads everything else from the database.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "printing.extract-verification.v1"


def issue_token(issue_id: int) -> str:
    return signing.Signer(salt=SALT).sign(signing.b62_encode(issue_id))


def issue_id_from_token(token: str) -> int | None:
    """The issue id of a genuine code, else None."""
    try:
        value = signing.Signer(salt=SALT).unsign(token)
        return signing.b62_decode(value)
    except (signing.BadSignature, ValueError):
        return None


def verification_url(issue_id: int) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("extract_verify", args=[issue_token(issue_id)])
