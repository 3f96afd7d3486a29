"""The survivor blind indexes: a name with a birth year, a phone number (duplicate search without
decrypting). The keys and the MAC are ``core.crypto``'s; the normalisation is casework's."""

from __future__ import annotations

from casework.normalise import normalise_name, normalise_phone
from core.crypto import blind_index


def name_birth_year_index(*, full_name: str, birth_year: int) -> str:
    """Blind index of a person's normalised full name and birth year (duplicate-survivor search).

    Raises ValueError for a name that normalises to nothing or an implausible year: an index of ""
    would make every nameless record look like the same person.
    """
    name = normalise_name(full_name)
    if not name:
        raise ValueError("full_name is empty after normalisation.")
    if isinstance(birth_year, bool) or not isinstance(birth_year, int) or not 1900 <= birth_year <= 2100:
        raise ValueError("birth_year must be a year between 1900 and 2100.")
    return blind_index(f"{name}|{birth_year:04d}", purpose="name-birth-year")


def phone_index(phone: str) -> str:
    """Blind index of a Vietnamese phone number in E.164 form. Raises ValueError if implausible."""
    return blind_index(normalise_phone(phone), purpose="phone")
