"""Normalisation of Vietnamese names and phone numbers before they go into a blind index.

A blind index matches only identical input, so everything that makes two spellings of the same
person differ — Unicode composition, case, accents typed or not, stray spaces, the way a phone number
is grouped — must be removed here, and the result must be stable (normalising twice changes nothing).
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _


class InvalidPhoneNumber(ValueError):
    """The input is not a plausible Vietnamese phone number. ``str(exc)`` is a translated message."""


# Letters with a stroke have no Unicode decomposition, so stripping accents leaves them alone.
# Đ/đ is Vietnamese; Ð/ð (Icelandic eth) and Ɖ/ɖ (African D) look identical and are what several
# keyboards and the Windows-1258 code page actually produce when someone types "Đ".
_STROKE_D = str.maketrans({"đ": "d", "ð": "d", "ɖ": "d"})
_DROPPED_CATEGORIES = {"Mn", "Me", "Cf", "Cs", "Co", "Cn"}


def _caseless(value: str) -> str:
    """Compatibility caseless form (Unicode Standard §3.13, D146): NFKD(casefold(NFKD(casefold(NFD(x))))).

    Starting from NFD makes composed and decomposed input identical; the repeated casefold/NFKD covers
    the few characters whose case folding or compatibility decomposition yields something the other
    step changes again (e.g. "㎒" → "MHz").
    """
    value = unicodedata.normalize("NFD", value)
    for _round in range(2):
        value = unicodedata.normalize("NFKD", value.casefold())
    return value


def normalise_name(value: str) -> str:
    """Caseless, accentless, whitespace-collapsed form of a personal name.

    "Nguyễn Thị Hương" (composed or decomposed), "  NGUYEN   thi huong " and "Nguyen Thi Huong" all
    give "nguyen thi huong". Invisible format characters (zero-width spaces from copy-paste) are
    dropped; control characters count as spaces. Never raises for any ``str``.
    """
    kept: list[str] = []
    for char in _caseless(value):
        category = unicodedata.category(char)
        if category in _DROPPED_CATEGORIES:
            continue
        kept.append(" " if category == "Cc" else char)
    # split() with no argument splits on every Unicode whitespace run and drops both ends.
    return " ".join("".join(kept).translate(_STROKE_D).split())


# --- Phone numbers ------------------------------------------------------------------------------

_PHONE_CHARS_RE = re.compile(r"\+?[0-9 .\-()/]+")
# Mobile prefixes renumbered in 2018 from 11-digit (01xx) to 10-digit (0xx) numbers. Survivors and
# their families often still quote the old number, and the blind index must match the new one.
_LEGACY_MOBILE_PREFIXES = {
    # Viettel
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39",
    # MobiFone
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
    # VinaPhone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    # Vietnamobile
    "186": "56", "188": "58",
    # Gmobile
    "199": "59",
}
_MOBILE_LEADING_DIGITS = frozenset("35789")


def _invalid_phone() -> InvalidPhoneNumber:
    return InvalidPhoneNumber(
        _("Enter a Vietnamese mobile or landline phone number, for example 0912 345 678.")
    )


def normalise_phone(value: str) -> str:
    """E.164 form (``+84…``) of a Vietnamese phone number written any common way.

    "0912 345 678", "+84 912-345-678", "84912345678" and "(091) 2345678" all give "+84912345678".
    Accepts mobile numbers (9-digit national number starting 3, 5, 7, 8 or 9, including the pre-2018
    01xx numbers, converted) and landlines (10 digits starting 2). Raises InvalidPhoneNumber (a
    ValueError) for anything else, including foreign numbers.
    """
    # NFKC turns full-width digits and "＋" from some phone keyboards into ASCII.
    text = unicodedata.normalize("NFKC", value).strip()
    if not _PHONE_CHARS_RE.fullmatch(text):
        raise _invalid_phone()
    digits = re.sub(r"[^0-9]", "", text)
    if text.startswith("+"):
        if not digits.startswith("84"):
            raise _invalid_phone()
        national = digits[2:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        # 84 + a 9- or 10-digit national number; a bare national number is never this long and
        # starting with 8, so the country code is unambiguous.
        national = digits[2:]
    else:
        national = digits
    # The trunk "0" of the national form, also found after the country code ("+84 (0) 912…").
    if national.startswith("0"):
        national = national[1:]
    if len(national) == 10 and national[:3] in _LEGACY_MOBILE_PREFIXES:
        national = _LEGACY_MOBILE_PREFIXES[national[:3]] + national[3:]
    is_mobile = len(national) == 9 and national[0] in _MOBILE_LEADING_DIGITS
    is_landline = len(national) == 10 and national[0] == "2"
    if not (is_mobile or is_landline):
        raise _invalid_phone()
    return f"+84{national}"
