"""rotate_encryption_keys: every value, history included, re-sealed under the newest key."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.crypto import UnknownKeyError, encrypt_text
from tests.casework.helpers import make_key, raw_column, raw_get, raw_set
from tests.testapp.models import OtherNote, SecretNote

pytestmark = pytest.mark.django_db

OLD = make_key("old-key")
NEW = make_key("new-key")
HistoricalSecretNote = SecretNote.history.model


def _tokens(model, *field_names: str) -> list[str]:
    return [value for name in field_names for value in raw_column(model, name) if value]


def _make_notes_under_old_key(settings, count: int) -> list[SecretNote]:
    settings.FIELD_ENCRYPTION_KEYS = f"old:{OLD}"
    notes = []
    for n in range(count):
        note = SecretNote.objects.create(body=f"story {n}", nickname=f"nick {n}",
                                         born_on=datetime.date(1990, 1, 1 + n))
        note.body = f"story {n}, revised"
        note.save()  # a second history row per note
        notes.append(note)
    return notes


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_rotation_reseals_rows_and_history_so_the_old_key_can_be_removed(settings):
    notes = _make_notes_under_old_key(settings, 7)
    empty = SecretNote.objects.create(body="", nickname=None)
    other = OtherNote.objects.create(body="other model")
    history_rows = HistoricalSecretNote.objects.count()
    settings.FIELD_ENCRYPTION_KEYS = f"new:{NEW},old:{OLD}"

    output = _rotate("--batch-size", "3")

    # 7 notes x 3 fields, 1 OtherNote, 14 history rows x 3 fields; the empty note has nothing to seal.
    assert "Re-encrypted 64 values in 22 rows under key 'new'." in output
    assert "testapp.SecretNote: 3/7 rows" in output
    assert "testapp.SecretNote: 7/7 rows" in output
    assert "testapp.HistoricalSecretNote: 14/14 rows" in output
    assert HistoricalSecretNote.objects.count() == history_rows  # rotation writes no history
    for model, fields in [(SecretNote, ("body", "nickname", "born_on")),
                          (HistoricalSecretNote, ("body", "nickname", "born_on")),
                          (OtherNote, ("body",))]:
        tokens = _tokens(model, *fields)
        assert tokens
        assert all(token.startswith("enc.v1.new.") for token in tokens)

    settings.FIELD_ENCRYPTION_KEYS = f"new:{NEW}"
    for n, note in enumerate(notes):
        loaded = SecretNote.objects.get(pk=note.pk)
        assert (loaded.body, loaded.nickname, loaded.born_on) == (
            f"story {n}, revised", f"nick {n}", datetime.date(1990, 1, 1 + n)
        )
        history = HistoricalSecretNote.objects.filter(id=note.pk).order_by("history_date")
        assert [h.body for h in history] == [f"story {n}", f"story {n}, revised"]
    empty = SecretNote.objects.get(pk=empty.pk)
    assert (empty.body, empty.nickname) == ("", None)
    assert OtherNote.objects.get(pk=other.pk).body == "other model"


def test_rotation_without_it_leaves_rows_unreadable_once_the_old_key_is_gone(settings):
    (note,) = _make_notes_under_old_key(settings, 1)

    settings.FIELD_ENCRYPTION_KEYS = f"new:{NEW}"

    with pytest.raises(UnknownKeyError, match="key id 'old'"):
        _ = SecretNote.objects.get(pk=note.pk).body


def test_dry_run_counts_and_changes_nothing(settings):
    _make_notes_under_old_key(settings, 2)
    settings.FIELD_ENCRYPTION_KEYS = f"new:{NEW},old:{OLD}"
    before = _tokens(SecretNote, "body") + _tokens(HistoricalSecretNote, "body")

    output = _rotate("--dry-run")

    assert "testapp.SecretNote: 6 values in 2 rows under older keys." in output
    assert "testapp.HistoricalSecretNote: 12 values in 4 rows under older keys." in output
    assert "Would re-encrypt 18 values in 6 rows under key 'new'." in output
    assert _tokens(SecretNote, "body") + _tokens(HistoricalSecretNote, "body") == before


def test_rotation_is_resumable_and_touches_only_values_under_older_keys(settings):
    first, second = _make_notes_under_old_key(settings, 2)
    settings.FIELD_ENCRYPTION_KEYS = f"new:{NEW},old:{OLD}"
    SecretNote.objects.get(pk=first.pk).save()  # an ordinary save re-seals under the newest key
    already_new = raw_get(first, "body")

    output = _rotate()

    assert already_new.startswith("enc.v1.new.")
    assert raw_get(first, "body") == already_new  # untouched
    assert "testapp.SecretNote: 1/1 rows" in output
    assert "Re-encrypted 0 values in 0 rows" in _rotate()  # a second run finds nothing left


def test_rotation_reports_values_it_cannot_open_and_still_rotates_the_rest(settings):
    broken, healthy = _make_notes_under_old_key(settings, 2)
    settings.FIELD_ENCRYPTION_KEYS = f"lost:{make_key('lost-key')}"
    binding = SecretNote._meta.get_field("body").binding_for(broken)
    lost_token = encrypt_text("sealed under a key nobody kept", binding=binding)
    raw_set(broken, "body", lost_token)
    settings.FIELD_ENCRYPTION_KEYS = f"new:{NEW},old:{OLD}"

    with pytest.raises(CommandError, match="1 values could not be decrypted"):
        _rotate()

    assert raw_get(broken, "body") == lost_token
    assert raw_get(healthy, "body").startswith("enc.v1.new.")
    assert SecretNote.objects.get(pk=healthy.pk).body == "story 1, revised"


def test_rotation_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        _rotate("--batch-size", "0")
