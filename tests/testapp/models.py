"""Test-only models for casework's encrypted fields (no migrations: the test runner syncs them)."""

from __future__ import annotations

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from casework.fields import EncryptedDateField, EncryptedManager, EncryptedTextField


class SecretNote(models.Model):
    """History-tracked, like a real case record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=100, blank=True)
    body = EncryptedTextField(blank=True)
    nickname = EncryptedTextField(null=True, blank=True, max_length=20)
    born_on = EncryptedDateField(null=True, blank=True)

    objects = EncryptedManager()
    # No FK constraint to the user table: this app has no migrations, so the test runner creates its
    # tables before the migrated apps' (accounts_user would not exist yet on PostgreSQL).
    history = HistoricalRecords(user_db_constraint=False)

    def __str__(self) -> str:
        return self.title or str(self.pk)


class OtherNote(models.Model):
    """Untracked, with a field of the same name: ciphertext moved here from SecretNote must not open."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    body = EncryptedTextField(blank=True)

    objects = EncryptedManager()

    def __str__(self) -> str:
        return str(self.pk)
