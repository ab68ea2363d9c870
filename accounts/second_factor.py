"""The second factor: a TOTP authenticator app (django-otp), who must have one, and its QR code."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actors import Actor
from permissions.scoping import user_scopes


def otp_required_for(user: Actor) -> bool:
    """Whether `user` must log in with a code: a role in OTP_REQUIRED_ROLES (superusers too, unless
    the setting is empty)."""
    roles = set(settings.OTP_REQUIRED_ROLES)
    if not roles:
        return False
    return bool(user.is_superuser) or any(s.role in roles for s in user_scopes(user))


def confirmed_device(user: Actor) -> TOTPDevice | None:
    """The authenticator the user confirmed with a first code, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, as authenticator apps ask for it when typed."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (made here, no network)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, dark="#111")


def current_code(device: TOTPDevice) -> str:
    """The code the device shows now (for `manage.py totp_code` and the tests)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
