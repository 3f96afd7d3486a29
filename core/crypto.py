"""Field encryption key ring, AES-256-GCM tokens and the keyed blind index, shared by every app.

What each app seals or indexes is its own business (``casework.crypto`` holds the survivor indexes);
this module only knows keys, tokens and MACs.

Stored format of an encrypted value (one text column)::

    enc.v1.<kid>.<base64url(nonce | ciphertext+tag), unpadded>

``enc.v1.`` makes every encrypted column greppable and lets a later format live beside this one;
``<kid>`` names the key in ``settings.FIELD_ENCRYPTION_KEYS`` that sealed the value, so rotation can
find (in SQL, by prefix) exactly the values still sealed under an older key.

Every value is bound to *where it lives* through AES-GCM associated data: the model label, the field
name and the row id. A ciphertext copied to another row, field or model therefore fails to
authenticate instead of decrypting to someone else's data. Plaintext is padded to a multiple of
16 bytes before encryption so that the stored length reveals only a bucket, not the exact length of a
name or a phone number.

Nothing here logs or puts plaintext or key material into an exception message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

TOKEN_PREFIX = "enc"
TOKEN_VERSION = "v1"
# "enc.v1." — what every encrypted value starts with; also the SQL LIKE prefix used by rotation.
TOKEN_HEAD = f"{TOKEN_PREFIX}.{TOKEN_VERSION}."

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the size AES-GCM is specified for; random nonces are safe for far more values than a
# shelter network will ever write under one key, and rotation resets the count anyway.
PAD_BLOCK = 16
BLIND_INDEX_MIN_KEY_BYTES = 32
BLIND_INDEX_HEX_CHARS = 32  # 128 bits: collisions are negligible, and the column stays short.

KID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_PURPOSE_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")
# Domain-separation labels: a MAC or an associated-data blob made for one use can never be replayed
# as another. They keep the names they were born with in casework: every stored value is bound to them.
_AAD_LABEL = b"diachitincay/casework/field-encryption/v1"
_BLIND_LABEL = b"diachitincay/casework/blind-index/v1"


# --- Exceptions ---------------------------------------------------------------------------------


class EncryptionError(Exception):
    """Base class for everything that goes wrong with an encrypted value."""


class DecryptionError(EncryptionError):
    """A stored value could not be decrypted: wrong or missing key, tampering, or moved ciphertext.

    The message names the model, field, row and key id — never the plaintext or the key.
    """


class UnknownKeyError(DecryptionError):
    """The value was sealed under a key id that is no longer (or not yet) in the key ring."""


class MalformedTokenError(DecryptionError):
    """The column holds something that is not an encrypted token (plain text, truncated data…)."""


# --- Key ring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRing:
    """Parsed ``FIELD_ENCRYPTION_KEYS``: the newest key seals, all keys open."""

    current_kid: str
    keys: Mapping[str, bytes]

    def __repr__(self) -> str:
        # Key material must never reach a log line or a debug page through a repr.
        return f"KeyRing(current_kid={self.current_kid!r}, kids={list(self.keys)!r})"

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self.keys)

    def aead(self, kid: str) -> AESGCM:
        return AESGCM(self.keys[kid])


def generate_key() -> str:
    """A fresh random 32-byte key, urlsafe-base64 encoded, for one ``kid:key`` ring entry."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _decode_b64url(raw: str) -> bytes:
    """Strict urlsafe-base64 decoding that tolerates missing padding.

    The stdlib's urlsafe_b64decode silently drops characters outside the alphabet, which would turn a
    typo in a key into a different, shorter key; validate first.
    """
    raw = raw.rstrip("=")
    if not _B64URL_RE.fullmatch(raw):
        raise ValueError("not urlsafe base64")
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def parse_key_ring(raw: object) -> KeyRing:
    """Parse ``"kid:key,kid:key"`` (newest first). Raises ImproperlyConfigured, naming the problem."""
    if not isinstance(raw, str) or not raw.strip():
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: it must hold at least one 'kid:base64urlkey' entry "
            "(core.crypto.generate_key() makes a key)."
        )
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(raw.split(","), start=1):
        entry = entry.strip()
        kid, sep, encoded = entry.partition(":")
        kid, encoded = kid.strip(), encoded.strip()
        if not sep or not kid or not encoded:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS entry {position} is malformed: expected 'kid:base64urlkey'."
            )
        if not KID_RE.fullmatch(kid):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS entry {position}: key id {kid!r} must be 1-32 characters "
                "from A-Z, a-z, 0-9, '_' and '-'."
            )
        if kid in keys:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS lists key id {kid!r} twice.")
        try:
            key = _decode_b64url(encoded)
        except (ValueError, binascii.Error):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS key {kid!r} is not valid urlsafe base64."
            ) from None
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS key {kid!r} decodes to {len(key)} bytes; "
                f"AES-256-GCM needs exactly {KEY_BYTES}."
            )
        keys[kid] = key
    if len(set(keys.values())) != len(keys):
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds the same key under two key ids; generate a new key instead."
        )
    return KeyRing(current_kid=next(iter(keys)), keys=keys)


def parse_blind_index_key(raw: object) -> bytes:
    if not isinstance(raw, str) or not raw.strip():
        raise ImproperlyConfigured("BLIND_INDEX_KEY is empty: it must be a urlsafe-base64 key of 32+ bytes.")
    try:
        key = _decode_b64url(raw.strip())
    except (ValueError, binascii.Error):
        raise ImproperlyConfigured("BLIND_INDEX_KEY is not valid urlsafe base64.") from None
    if len(key) < BLIND_INDEX_MIN_KEY_BYTES:
        raise ImproperlyConfigured(
            f"BLIND_INDEX_KEY decodes to {len(key)} bytes; it needs at least {BLIND_INDEX_MIN_KEY_BYTES}."
        )
    return key


# Parsed once per settings value. A setting_changed receiver empties the cache so that pytest-django's
# `settings` fixture and override_settings see a new ring immediately.
# Each entry is one (raw setting, parsed value) tuple, replaced in a single assignment, so a thread never
# sees a parsed ring paired with another thread's raw string.
_cache: dict[str, tuple[Any, Any]] = {}


def get_key_ring() -> KeyRing:
    raw = getattr(settings, "FIELD_ENCRYPTION_KEYS", None)
    cached = _cache.get("ring")
    if cached is not None and cached[0] == raw:
        return cast(KeyRing, cached[1])
    ring = parse_key_ring(raw)
    _cache["ring"] = (raw, ring)
    return ring


def _get_blind_index_key() -> bytes:
    raw = getattr(settings, "BLIND_INDEX_KEY", None)
    cached = _cache.get("blind")
    if cached is not None and cached[0] == raw:
        return cast(bytes, cached[1])
    key = parse_blind_index_key(raw)
    # Reusing an encryption key as the MAC key would tie two uses to one secret; refuse the copy-paste
    # mistake.
    if key in get_key_ring().keys.values():
        raise ImproperlyConfigured("BLIND_INDEX_KEY must differ from every FIELD_ENCRYPTION_KEYS key.")
    _cache["blind"] = (raw, key)
    return key


def clear_key_cache() -> None:
    _cache.clear()


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in {"FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"}:
        clear_key_cache()


# --- Tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """Where a value lives: what its ciphertext is bound to through associated data.

    History rows use the *original* model's label and row id, so a historical copy of a row opens
    with the same binding as the row itself.
    """

    model_label: str  # e.g. "casework.survivor" (lower-case app_label.model_name)
    field_name: str
    row_id: str

    def describe(self) -> str:
        return f"{self.model_label}.{self.field_name} (row {self.row_id})"

    def associated_data(self, kid: str) -> bytes:
        # NUL-separated: none of the parts can contain NUL, so the encoding is unambiguous. The key
        # id and format version are bound too, so the token header cannot be edited either.
        parts = (_AAD_LABEL, kid.encode(), self.model_label.encode(), self.field_name.encode(),
                 self.row_id.encode())
        return b"\x00".join(parts)


def token_key_id(token: str) -> str:
    """The key id a token was sealed under (no decryption). Raises MalformedTokenError."""
    return _split_token(token, binding=None)[0]


def _split_token(token: str, *, binding: Binding | None) -> tuple[str, bytes]:
    where = binding.describe() if binding else "value"
    if not isinstance(token, str) or not token.startswith(TOKEN_HEAD):
        raise MalformedTokenError(
            f"Cannot decrypt {where}: the column does not hold an encrypted '{TOKEN_HEAD}' token."
        )
    parts = token[len(TOKEN_HEAD):].split(".")
    if len(parts) != 2 or not KID_RE.fullmatch(parts[0]):
        raise MalformedTokenError(f"Cannot decrypt {where}: the encrypted token is malformed.")
    kid, payload = parts
    try:
        blob = _decode_b64url(payload)
    except (ValueError, binascii.Error):
        raise MalformedTokenError(
            f"Cannot decrypt {where} (key id {kid!r}): the token payload is not base64."
        ) from None
    if len(blob) < NONCE_BYTES + 16:
        raise MalformedTokenError(f"Cannot decrypt {where} (key id {kid!r}): the token is truncated.")
    return kid, blob


def _pad(data: bytes) -> bytes:
    # ISO/IEC 7816-4 padding: 0x80 then zeros up to the next block. Unambiguous for any input,
    # including data that ends in 0x80 or NUL.
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % PAD_BLOCK)


def _unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise ValueError("bad padding")
    return stripped[:-1]


def encrypt_text(plaintext: str, *, binding: Binding) -> str:
    """Seal ``plaintext`` under the newest key, bound to ``binding``. Returns the token."""
    ring = get_key_ring()
    kid = ring.current_kid
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.aead(kid).encrypt(nonce, _pad(plaintext.encode("utf-8")), binding.associated_data(kid))
    payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{TOKEN_HEAD}{kid}.{payload}"


def decrypt_text(token: str, *, binding: Binding) -> str:
    """Open a token that must have been sealed for ``binding``. Raises a DecryptionError subclass."""
    kid, blob = _split_token(token, binding=binding)
    ring = get_key_ring()
    if kid not in ring.keys:
        raise UnknownKeyError(
            f"Cannot decrypt {binding.describe()}: key id {kid!r} is not in FIELD_ENCRYPTION_KEYS "
            f"(the ring holds {list(ring.kids)!r}). Was an old key removed before rotation finished?"
        )
    try:
        padded = ring.aead(kid).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], binding.associated_data(kid))
    except InvalidTag:
        raise DecryptionError(
            f"Cannot decrypt {binding.describe()} with key id {kid!r}: authentication failed — the key "
            "is wrong, the value was tampered with, or it was copied from another row, field or model."
        ) from None
    try:
        return _unpad(padded).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        # Only reachable with a valid tag, i.e. a bug in whatever wrote the value.
        raise DecryptionError(
            f"Cannot decrypt {binding.describe()} with key id {kid!r}: the decrypted data is malformed."
        ) from None


# --- Blind index --------------------------------------------------------------------------------


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed HMAC-SHA256 of ``value`` for equality search without decryption (hex, 32 chars).

    ``purpose`` separates domains: the same value indexed for two purposes gives unrelated digests, so
    one index column cannot be joined against another. Normalise ``value`` first (see the helpers
    below) — the index matches only byte-identical input.
    """
    if not _PURPOSE_RE.fullmatch(purpose):
        raise ValueError("purpose must be a short lower-case identifier such as 'phone'.")
    message = b"\x00".join((_BLIND_LABEL, purpose.encode("ascii"), value.encode("utf-8", "surrogatepass")))
    digest = hmac.new(_get_blind_index_key(), message, hashlib.sha256).hexdigest()
    return digest[:BLIND_INDEX_HEX_CHARS]
