"""Key ring, encrypted fields (row binding, history, refusals) and the blind index."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.db import models
from django.test.utils import isolate_apps

from casework.crypto import name_birth_year_index, phone_index
from casework.fields import EncryptedTextField, EncryptionBypassError, SealedValue
from core.crypto import (
    TOKEN_HEAD,
    Binding,
    DecryptionError,
    MalformedTokenError,
    UnknownKeyError,
    blind_index,
    decrypt_text,
    encrypt_text,
    generate_key,
    get_key_ring,
    parse_key_ring,
    token_key_id,
)
from tests.casework.helpers import make_key, raw_column, raw_get, raw_rows, raw_set
from tests.testapp.models import OtherNote, SecretNote

CANARY = "Nguyễn Thị Hương CANARY-7f3a"
KEY_A = make_key("key-a")
KEY_B = make_key("key-b")


def _binding(row_id: str = "00000000-0000-0000-0000-000000000001") -> Binding:
    return Binding(model_label="testapp.secretnote", field_name="body", row_id=row_id)


# --- Key ring -----------------------------------------------------------------------------------


def test_key_ring_newest_entry_is_current_and_all_entries_open():
    ring = parse_key_ring(f" new:{KEY_A} , old:{KEY_B.rstrip('=')} ")

    assert ring.current_kid == "new"
    assert ring.kids == ("new", "old")
    assert ring.keys["old"] == b"key-b".ljust(32, b"-")


def test_generated_key_is_32_random_bytes_that_the_ring_accepts():
    first, second = generate_key(), generate_key()

    assert first != second
    assert len(parse_key_ring(f"k:{first}").keys["k"]) == 32


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "FIELD_ENCRYPTION_KEYS is empty"),
        (KEY_A, "entry 1 is malformed"),
        (f"a:{KEY_A},", "entry 2 is malformed"),
        (f"a:{KEY_A},a:{KEY_B}", "lists key id 'a' twice"),
        (f"a:{make_key('x')[:22]}", "decodes to 16 bytes; AES-256-GCM needs exactly 32"),
        ("a:not*base64", "key 'a' is not valid urlsafe base64"),
        (f"bad kid:{KEY_A}", "key id 'bad kid' must be"),
        (f"a:{KEY_A},b:{KEY_A}", "same key under two key ids"),
    ],
)
def test_malformed_key_ring_is_refused_with_a_clear_message(raw, message):
    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        parse_key_ring(raw)

    assert KEY_A not in str(excinfo.value)


def test_key_ring_follows_settings_overrides(settings):
    settings.FIELD_ENCRYPTION_KEYS = f"first:{KEY_A}"
    assert get_key_ring().current_kid == "first"

    settings.FIELD_ENCRYPTION_KEYS = f"second:{KEY_B},first:{KEY_A}"
    assert get_key_ring().current_kid == "second"


def test_key_ring_repr_shows_no_key_material():
    ring = parse_key_ring(f"a:{KEY_A}")

    assert repr(ring) == "KeyRing(current_kid='a', kids=['a'])"


# --- Tokens -------------------------------------------------------------------------------------


def test_token_is_versioned_names_its_key_and_round_trips(settings):
    settings.FIELD_ENCRYPTION_KEYS = f"k7:{KEY_A}"

    token = encrypt_text(CANARY, binding=_binding())

    assert token.startswith("enc.v1.k7.")
    assert token_key_id(token) == "k7"
    assert CANARY not in token
    assert decrypt_text(token, binding=_binding()) == CANARY


def test_encrypting_twice_gives_different_tokens_of_the_same_padded_length(settings):
    settings.FIELD_ENCRYPTION_KEYS = f"k:{KEY_A}"

    first, second = encrypt_text("Hoa", binding=_binding()), encrypt_text("Lan", binding=_binding())

    assert first != second
    assert len(first) == len(second)  # both pad to one 16-byte block: length leaks only a bucket


def test_token_for_another_binding_fails_to_open(settings):
    token = encrypt_text(CANARY, binding=_binding())
    elsewhere = _binding(row_id="00000000-0000-0000-0000-000000000002")

    with pytest.raises(DecryptionError, match="authentication failed") as excinfo:
        decrypt_text(token, binding=elsewhere)

    assert CANARY not in str(excinfo.value)


def test_token_under_wrong_key_with_same_id_fails(settings):
    settings.FIELD_ENCRYPTION_KEYS = f"k:{KEY_A}"
    token = encrypt_text(CANARY, binding=_binding())
    settings.FIELD_ENCRYPTION_KEYS = f"k:{KEY_B}"

    with pytest.raises(DecryptionError, match="with key id 'k': authentication failed"):
        decrypt_text(token, binding=_binding())


def test_key_id_swapped_in_the_token_header_fails(settings):
    settings.FIELD_ENCRYPTION_KEYS = f"a:{KEY_A},b:{KEY_B}"
    token = encrypt_text(CANARY, binding=_binding())

    with pytest.raises(DecryptionError, match="key id 'b'"):
        decrypt_text(token.replace("enc.v1.a.", "enc.v1.b."), binding=_binding())


@pytest.mark.parametrize(
    "stored", ["Nguyễn Thị Hương", "enc.v1.", "enc.v1.k.", "enc.v1.k.AAAA", "enc.v1.k.!!!"]
)
def test_value_that_is_not_a_token_is_an_error_not_plaintext(stored):
    with pytest.raises(MalformedTokenError, match=r"testapp\.secretnote\.body"):
        decrypt_text(stored, binding=_binding())


# --- Encrypted fields on a history-tracked model ------------------------------------------------


@pytest.mark.django_db
def test_encrypted_fields_round_trip_through_the_database():
    note = SecretNote.objects.create(body=CANARY, nickname="Hoa", born_on=datetime.date(1990, 5, 17))

    loaded = SecretNote.objects.get(pk=note.pk)

    assert loaded.body == CANARY
    assert loaded.nickname == "Hoa"
    assert loaded.born_on == datetime.date(1990, 5, 17)
    assert note.body == CANARY  # the saved instance keeps its plaintext


@pytest.mark.django_db
def test_no_plaintext_reaches_the_table_or_its_history_table():
    note = SecretNote.objects.create(body=CANARY, nickname="CANARY-nick", born_on=datetime.date(1990, 5, 17))
    note.body = CANARY + " updated"
    note.save()

    tables = {"rows": raw_rows(SecretNote), "history": raw_rows(SecretNote.history.model)}

    assert len(tables["rows"]) == 1
    assert len(tables["history"]) == 2
    for rows in tables.values():
        dump = repr(rows)
        assert "CANARY" not in dump
        assert "Hương" not in dump
        assert "1990-05-17" not in dump
    assert all(token.startswith(TOKEN_HEAD) for token in raw_column(SecretNote.history.model, "body"))


@pytest.mark.django_db
def test_history_rows_hold_their_own_ciphertext_and_decrypt():
    note = SecretNote.objects.create(body="first version", born_on=datetime.date(2001, 1, 2))
    note.body = "second version"
    note.save()

    history = list(SecretNote.history.model.objects.filter(id=note.pk).order_by("history_date"))

    assert [h.body for h in history] == ["first version", "second version"]
    assert [h.born_on for h in history] == [datetime.date(2001, 1, 2)] * 2
    assert history[0].instance.body == "first version"
    assert raw_get(history[1], "body") != raw_get(note, "body")  # sealed again, with a fresh nonce


@pytest.mark.django_db
def test_history_ciphertext_moved_to_another_history_row_fails():
    first = SecretNote.objects.create(body="first person's story")
    second = SecretNote.objects.create(body="second person's story")
    first_history = first.history.get()
    second_history = second.history.get()
    raw_set(second_history, "body", raw_get(first_history, "body"))

    with pytest.raises(DecryptionError, match=rf"testapp\.secretnote\.body \(row {second.pk}\)"):
        _ = SecretNote.history.model.objects.get(pk=second_history.pk).body


@pytest.mark.django_db
def test_ciphertext_copied_to_another_row_fails_to_decrypt():
    victim = SecretNote.objects.create(body=CANARY)
    other = SecretNote.objects.create(body="someone else")
    raw_set(other, "body", raw_get(victim, "body"))

    moved = SecretNote.objects.get(pk=other.pk)

    with pytest.raises(DecryptionError) as excinfo:
        _ = moved.body
    message = str(excinfo.value)
    assert f"testapp.secretnote.body (row {other.pk})" in message
    assert "key id 't1'" in message
    assert "CANARY" not in message


@pytest.mark.django_db
def test_ciphertext_copied_to_another_field_fails_to_decrypt():
    note = SecretNote.objects.create(body=CANARY, nickname="Hoa")
    raw_set(note, "nickname", raw_get(note, "body"))

    with pytest.raises(DecryptionError, match=r"testapp\.secretnote\.nickname"):
        _ = SecretNote.objects.get(pk=note.pk).nickname


@pytest.mark.django_db
def test_ciphertext_copied_to_another_model_with_the_same_row_id_fails():
    note = SecretNote.objects.create(body=CANARY)
    other = OtherNote.objects.create(id=note.pk, body="other")
    raw_set(other, "body", raw_get(note, "body"))

    with pytest.raises(DecryptionError, match=r"testapp\.othernote\.body"):
        _ = OtherNote.objects.get(pk=other.pk).body


@pytest.mark.django_db
def test_tampered_ciphertext_fails_to_decrypt():
    note = SecretNote.objects.create(body=CANARY)
    token = raw_get(note, "body")
    flipped = "A" if token[-5] != "A" else "B"
    raw_set(note, "body", token[:-5] + flipped + token[-4:])

    with pytest.raises(DecryptionError, match="authentication failed"):
        _ = SecretNote.objects.get(pk=note.pk).body


@pytest.mark.django_db
def test_unknown_key_id_fails_clearly(settings):
    note = SecretNote.objects.create(body=CANARY)
    settings.FIELD_ENCRYPTION_KEYS = f"t2:{KEY_B}"

    with pytest.raises(UnknownKeyError, match="key id 't1' is not in FIELD_ENCRYPTION_KEYS"):
        _ = SecretNote.objects.get(pk=note.pk).body


@pytest.mark.django_db
def test_plain_text_in_the_column_is_an_error_not_passed_through():
    note = SecretNote.objects.create(body=CANARY)
    raw_set(note, "body", "written by a script that bypassed the ORM")

    with pytest.raises(MalformedTokenError, match=r"testapp\.secretnote\.body"):
        _ = SecretNote.objects.get(pk=note.pk).body


@pytest.mark.django_db
def test_none_is_null_and_empty_string_is_stored_empty():
    note = SecretNote.objects.create(body="", nickname=None, born_on=None)

    assert raw_get(note, "body") == ""
    assert raw_get(note, "nickname") is None
    assert raw_get(note, "born_on") is None
    loaded = SecretNote.objects.get(pk=note.pk)
    assert (loaded.body, loaded.nickname, loaded.born_on) == ("", None, None)
    assert list(SecretNote.objects.filter(body="", nickname__isnull=True)) == [loaded]


@pytest.mark.django_db
def test_loading_does_not_decrypt_until_the_value_is_read():
    note = SecretNote.objects.create(body=CANARY, title="kept")
    raw_set(note, "body", "not a token")  # would raise if anything decrypted it eagerly

    listed = list(SecretNote.objects.all())

    assert [n.title for n in listed] == ["kept"]
    with pytest.raises(MalformedTokenError):
        _ = listed[0].body


@pytest.mark.django_db
def test_saving_an_unread_row_keeps_its_token():
    note = SecretNote.objects.create(body=CANARY)
    token = raw_get(note, "body")

    loaded = SecretNote.objects.get(pk=note.pk)
    loaded.title = "renamed"
    loaded.save()

    assert raw_get(note, "body") == token
    assert SecretNote.objects.get(pk=note.pk).body == CANARY


@pytest.mark.django_db
def test_deferred_encrypted_field_loads_and_decrypts_on_access():
    note = SecretNote.objects.create(body=CANARY, nickname="Hoa")

    loaded = SecretNote.objects.only("title").get(pk=note.pk)

    assert loaded.get_deferred_fields() == {"body", "nickname", "born_on"}
    assert loaded.body == CANARY


@pytest.mark.django_db
def test_row_copied_by_resetting_its_primary_key_is_sealed_for_the_new_row():
    note = SecretNote.objects.create(body=CANARY)
    copy = SecretNote.objects.get(pk=note.pk)
    copy.pk = uuid.uuid4()
    copy._state.adding = True

    copy.save()

    assert SecretNote.objects.get(pk=copy.pk).body == CANARY
    assert raw_get(copy, "body") != raw_get(note, "body")


@pytest.mark.django_db
def test_save_reseals_values_from_an_older_key(settings):
    note = SecretNote.objects.create(body=CANARY)
    settings.FIELD_ENCRYPTION_KEYS = f"t2:{KEY_B},t1:{settings.FIELD_ENCRYPTION_KEYS.split(':', 1)[1]}"

    SecretNote.objects.get(pk=note.pk).save()

    assert raw_get(note, "body").startswith("enc.v1.t2.")
    assert SecretNote.objects.get(pk=note.pk).body == CANARY


@pytest.mark.django_db
def test_values_query_returns_sealed_values_never_text():
    SecretNote.objects.create(body=CANARY)

    (sealed,) = SecretNote.objects.values_list("body", flat=True)

    assert isinstance(sealed, SealedValue)
    assert repr(sealed) == "<SealedValue>"
    with pytest.raises(TypeError, match="used as text without being decrypted"):
        str(sealed)


@pytest.mark.django_db
def test_lookups_that_would_compare_ciphertext_are_refused():
    with pytest.raises(EncryptionBypassError, match=r"testapp\.secretnote\.body is encrypted"):
        list(SecretNote.objects.filter(body=CANARY))
    with pytest.raises(FieldError, match="Unsupported lookup 'icontains'"):
        list(SecretNote.objects.filter(body__icontains="CANARY"))


@pytest.mark.django_db
def test_queryset_update_is_refused_on_models_with_encrypted_fields():
    note = SecretNote.objects.create(body=CANARY, title="before")

    refused = r"QuerySet\.update\(\) is refused on testapp\.SecretNote"
    with pytest.raises(EncryptionBypassError, match=refused):
        SecretNote.objects.filter(pk=note.pk).update(title="after")

    assert SecretNote.objects.get(pk=note.pk).title == "before"
    assert note.history.count() == 1


@pytest.mark.django_db
def test_bulk_update_is_refused_on_models_with_encrypted_fields():
    note = SecretNote.objects.create(body=CANARY)
    note.body = "changed without encryption"

    with pytest.raises(EncryptionBypassError, match=r"QuerySet\.bulk_update\(\) is refused"):
        SecretNote.objects.bulk_update([note], ["body"])

    assert SecretNote.objects.get(pk=note.pk).body == CANARY


@pytest.mark.django_db
def test_bulk_create_encrypts_each_row():
    notes = SecretNote.objects.bulk_create([SecretNote(body=f"CANARY {n}") for n in range(3)])

    assert "CANARY" not in repr(raw_rows(SecretNote))
    assert sorted(SecretNote.objects.get(pk=n.pk).body for n in notes) == ["CANARY 0", "CANARY 1", "CANARY 2"]


@pytest.mark.django_db
def test_full_clean_validates_plaintext_length_and_date():
    note = SecretNote(body="x", nickname="n" * 21, born_on="1990-02-30")

    with pytest.raises(ValidationError) as excinfo:
        note.full_clean()

    assert set(excinfo.value.message_dict) == {"nickname", "born_on"}


def test_history_model_keeps_the_encrypted_field_class_and_binds_to_the_original():
    historical = SecretNote.history.model
    field = historical._meta.get_field("body")

    assert type(field) is EncryptedTextField
    assert field.binding_for_row_id("00000000-0000-0000-0000-0000000000aa") == Binding(
        model_label="testapp.secretnote", field_name="body", row_id="00000000-0000-0000-0000-0000000000aa"
    )
    assert field.check() == []


@isolate_apps("tests.testapp")
def test_system_check_flags_unusable_encrypted_field_definitions():
    class AutoPkNote(models.Model):
        secret = EncryptedTextField(unique=True)

        class Meta:
            app_label = "testapp"

        def __str__(self) -> str:
            return str(self.pk)

    errors = {error.id for error in AutoPkNote._meta.get_field("secret").check()}

    assert errors == {"casework.E001", "casework.E002"}


# --- Blind index --------------------------------------------------------------------------------


def test_blind_index_is_keyed_truncated_hex_and_separated_by_purpose(settings):
    settings.BLIND_INDEX_KEY = make_key("blind-1")
    digest = blind_index("+84912345678", purpose="phone")

    assert len(digest) == 32
    assert int(digest, 16) >= 0
    assert digest == blind_index("+84912345678", purpose="phone")
    assert digest != blind_index("+84912345678", purpose="name-birth-year")
    settings.BLIND_INDEX_KEY = make_key("blind-2")
    assert digest != blind_index("+84912345678", purpose="phone")


def test_same_person_written_differently_gets_one_name_index():
    spellings = ["Nguyễn Thị Hương", "  NGUYEN   thi huong ", "Nguyen Thi Huong", "nguyễn thị hương"]

    indexes = {name_birth_year_index(full_name=s, birth_year=1990) for s in spellings}

    assert len(indexes) == 1
    assert indexes != {name_birth_year_index(full_name="Nguyen Thi Huong", birth_year=1991)}


def test_same_phone_written_differently_gets_one_index():
    formats = ["0912 345 678", "+84 912-345-678", "84912345678", "(091) 2345678"]

    assert len({phone_index(p) for p in formats}) == 1


@pytest.mark.parametrize(("name", "year"), [("   ", 1990), ("Hoa", 1850), ("Hoa", True)])
def test_name_index_refuses_empty_names_and_implausible_years(name, year):
    with pytest.raises(ValueError, match="full_name|birth_year"):
        name_birth_year_index(full_name=name, birth_year=year)


def test_blind_index_key_must_be_long_and_not_an_encryption_key(settings):
    settings.BLIND_INDEX_KEY = make_key("short")[:20]
    with pytest.raises(ImproperlyConfigured, match="BLIND_INDEX_KEY decodes to 15 bytes"):
        blind_index("x", purpose="phone")

    settings.FIELD_ENCRYPTION_KEYS = f"k:{KEY_A}"
    settings.BLIND_INDEX_KEY = KEY_A
    with pytest.raises(ImproperlyConfigured, match="must differ"):
        blind_index("x", purpose="phone")
