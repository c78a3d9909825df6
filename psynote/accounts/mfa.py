"""Two-factor sign-in: TOTP codes from an authenticator app, and single-use recovery codes.

TOTP is RFC 6238 with its defaults, which every authenticator app reads from the QR code:
HMAC-SHA-1, 6 digits, a 30-second step (pyotp). A code is accepted one step either side of
now (clock drift), and only for a step later than the last one accepted, so the same code
never works twice. Recovery codes are 16 random characters; only their SHA-256 is stored,
and each is spent by a conditional UPDATE, so two requests cannot both use one.

This module checks and makes codes; accounts.actions writes the rows and the audit events.
"""

import hashlib
import hmac
import re
import secrets
import time
from typing import Any

import pyotp
import segno
from django.utils import timezone

from psynote.accounts.models import ALWAYS_MFA_ROLES, RecoveryCode, TotpDevice, User
from psynote.lib import crypto

DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes get read off paper.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_RECOVERY_LENGTH = 16  # ~79 bits
_TOTP_CODE = re.compile(r"\d{6}")


def required_for(user: User) -> bool:
    """Admins and privacy officers always; other roles when the practice says so."""
    if user.role in ALWAYS_MFA_ROLES:
        return True
    practice = user.practice
    return practice is not None and user.role in (practice.mfa_required_roles or [])


def confirmed_device(user: Any) -> TotpDevice | None:
    return TotpDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).first()


def is_enrolled(user: Any) -> bool:
    return TotpDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


# --- the secret, sealed at rest ---------------------------------------------------------


def _aad(user_id: int) -> bytes:
    return crypto.aad_for("accounts_totpdevice", user_id, "secret")


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def seal_secret(user_id: int, secret: str) -> bytes:
    return crypto.wrap(secret.encode(), _aad(user_id))


def open_secret(device: TotpDevice) -> str:
    return crypto.unwrap(bytes(device.secret_sealed), _aad(device.user_id)).decode()


def provisioning_uri(user: User, secret: str) -> str:
    issuer = f"Psynote ({user.practice.name})" if user.practice else "Psynote"
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The enrolment QR as inline SVG markup (no image library, nothing fetched)."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=4, title="Enrolment QR code")


def format_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- checking codes ---------------------------------------------------------------------


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code `code` is, within DRIFT_STEPS of `at` (now), else None."""
    code = re.sub(r"\s", "", code or "")
    if not _TOTP_CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if at is None else at)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def use_totp(device: TotpDevice, code: str) -> bool:
    """True, once, for a valid code of a step later than the last one used."""
    step = matching_step(open_secret(device), code)
    if step is None or step <= device.last_step:
        return False
    # Conditional on the stored step, so two requests racing with one code: one wins.
    won = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    device.last_step = max(device.last_step, step)
    return won == 1


def looks_like_totp(code: str) -> bool:
    return bool(_TOTP_CODE.fullmatch(re.sub(r"\s", "", code or "")))


# --- recovery codes ---------------------------------------------------------------------


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return codes


def use_recovery_code(user: Any, code: str) -> bool:
    normalised = _normalise(code)
    if len(normalised) != _RECOVERY_LENGTH:
        return False
    spent = RecoveryCode.objects.filter(
        user_id=user.pk, code_hash=hash_recovery_code(normalised), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def check_code(user: Any, code: str) -> str | None:
    """'totp' or 'recovery' when `code` signs `user` in (spending it), else None."""
    device = confirmed_device(user)
    if device is None:
        return None
    if looks_like_totp(code):
        return "totp" if use_totp(device, code) else None
    return "recovery" if use_recovery_code(user, code) else None

