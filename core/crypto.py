"""Resident ID numbers: validated, encrypted at rest, hashed for lookups, masked for display.

The database holds only a Fernet token (AES-CBC + HMAC, keys from the environment, see
config/settings.py) and a keyed HMAC-SHA256 of the number for exact lookups and
de-duplication; the clear number exists only in memory while it is being checked,
encrypted, or revealed to a user allowed to see it. Everything shown is `mask_id(...)`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError


class IdNumberError(ValueError):
    """A resident ID number that cannot be accepted; the message never holds the number."""


def normalize_id(value: object) -> str:
    """Half-width, upper-case, no spaces: how an ID number typed on a phone is compared."""
    return "".join(unicodedata.normalize("NFKC", str(value or "")).split()).upper()


def mask_id(value: str) -> str:
    """140105********1234: the first six and last four characters, never more."""
    text = normalize_id(value)
    if len(text) < 11:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def validate_id(value: object) -> str:
    """The number as stored, or IdNumberError with a reason that shows it masked."""
    number = normalize_id(value)
    shown = mask_id(number)
    try:
        number = ric.validate(number)
    except InvalidLength:
        raise IdNumberError(
            _("身份证号“%(id)s”应为 18 位（现为 %(n)d 位）") % {"id": shown, "n": len(number)}
        ) from None
    except InvalidChecksum:
        raise IdNumberError(_("身份证号“%(id)s”校验位不正确") % {"id": shown}) from None
    except InvalidComponent:
        raise IdNumberError(_("身份证号“%(id)s”中的出生日期或地区码无效") % {"id": shown}) from None
    except ValidationError:
        raise IdNumberError(_("身份证号“%(id)s”含有不允许的字符") % {"id": shown}) from None
    if ric.get_birth_date(number) > timezone.localdate():
        raise IdNumberError(_("身份证号“%(id)s”中的出生日期晚于今天") % {"id": shown})
    return number


def birth_date_of(number: str) -> dt.date:
    return ric.get_birth_date(number)


def sex_of(number: str) -> str:
    """ "male" or "female": the 17th digit is odd for men (GB 11643)."""
    return "male" if int(number[16]) % 2 else "female"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.STAFF_ID_KEYS))


def encrypt_id(number: str) -> str:
    return _current().encrypt(number.encode()).decode()


def decrypt_id(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        # Never the token in the message: it is evidence of nothing and could be logged.
        raise RuntimeError(
            "A staff ID number cannot be decrypted with STAFF_ID_KEYS (a key was removed "
            "before `rotate_staff_keys` re-encrypted everything?)"
        ) from None


def rotate_token(token: str) -> str:
    """The token re-encrypted under the first (newest) key."""
    return _current().rotate(token.encode()).decode()


def hash_id(number: str) -> str:
    """Keyed HMAC-SHA256: equal numbers give equal hashes, but the hash cannot be reversed
    by trying all 10^17 numbers without the key."""
    key = settings.STAFF_ID_HASH_KEY.encode()
    return hmac.new(key, normalize_id(number).encode(), hashlib.sha256).hexdigest()
