"""Re-encrypt every encrypted value under the newest key of FIELD_ENCRYPTION_KEYS.

Procedure for a key change:

1. Put the new key first in the ring and keep the old ones after it (``new:…,old:…``); deploy.
   New writes are sealed with the new key; old values still open.
2. Run ``manage.py rotate_encryption_keys`` (``--dry-run`` first to see how much is left). It can be
   stopped and run again: it only touches values whose token names an older key id.
3. When it reports nothing left, remove the old key from the ring and deploy again. Work kept across an
   idle time-out (accounts.UnsavedWork) is not re-encrypted: it lives SESSION_KEPT_WORK_MINUTES (an hour)
   at most, so whatever was kept under the old key is gone that long after step 1; work still sealed
   under a removed key is dropped instead of being shown.

Why this command writes with ``QuerySet.update()`` although the project forbids it on history-tracked
models: rotation changes the ciphertext, never the plaintext. A history row per rotated value would be
an audit entry for a change nobody made, and would itself need rotating. So this command — and only
this command — writes the one column directly, through a plain ``QuerySet`` (the models'
EncryptedQuerySet refuses ``update()``), one UPDATE per batch, and only where the column still holds
the exact token it read (a row saved concurrently by a user is left alone: ``save()`` already sealed
it under the newest key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Left

from casework.fields import EncryptedField, _Token, encrypted_fields, sealed_prefix
from core.crypto import TOKEN_HEAD, DecryptionError, decrypt_text, encrypt_text, get_key_ring


@dataclass
class _Totals:
    rows: int = 0
    values: int = 0
    failures: list[str] = field(default_factory=list)


def _stale_condition(field_name: str, current_kid: str) -> tuple[dict[str, Any], Q]:
    """(aliases, condition) selecting rows whose ``field_name`` holds a token sealed under another key.

    The prefix test is an exact comparison of the leading characters rather than LIKE: SQLite's LIKE
    ignores case (key ids "K1" and "k1" would be confused) and treats "_" — legal in a key id — as a
    wildcard.
    """
    current = sealed_prefix(current_kid)
    head, kid_head = f"_rot_head_{field_name}", f"_rot_kid_head_{field_name}"
    aliases = {head: Left(field_name, len(TOKEN_HEAD)), kid_head: Left(field_name, len(current))}
    return aliases, Q(**{head: TOKEN_HEAD}) & ~Q(**{kid_head: current})


def _targets() -> list[tuple[type[models.Model], list[EncryptedField]]]:
    """Every concrete model with encrypted fields, historical models included (they are registered)."""
    seen_tables: set[str] = set()
    targets = []
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed or opts.db_table in seen_tables:
            continue
        fields = [f for f in encrypted_fields(model) if f.model is model]
        if fields:
            seen_tables.add(opts.db_table)
            targets.append((model, fields))
    return sorted(targets, key=lambda target: target[0]._meta.label_lower)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field value (history tables included) under the newest key of "
        "FIELD_ENCRYPTION_KEYS. Resumable: only values sealed under an older key are touched. "
        "History is not written: the plaintext does not change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would be re-encrypted; change nothing.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS,
                            help="Database alias (default 'default').")

    def handle(self, *args: Any, batch_size: int, dry_run: bool, database: str, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.verbosity = int(options.get("verbosity", 1))
        ring = get_key_ring()
        kid = ring.current_kid
        self._say(f"Newest key: {kid!r}; key ring: {list(ring.kids)!r}.")
        totals = _Totals()
        for model, fields in _targets():
            if dry_run:
                self._count(model, fields, kid=kid, database=database, totals=totals)
            else:
                self._rotate(model, fields, kid=kid, database=database, batch_size=batch_size, totals=totals)

        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(f"{verb} {totals.values} values in {totals.rows} rows under key {kid!r}.")
        if totals.failures:
            for line in totals.failures[:50]:
                self.stderr.write(line)
            raise CommandError(
                f"{len(totals.failures)} values could not be decrypted and were left as they are "
                "(listed above). Do not remove any key from the ring until they are resolved."
            )

    def _say(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    def _stale_queryset(
        self, model: type[models.Model], fields: list[EncryptedField], *, kid: str, database: str
    ) -> models.QuerySet[Any]:
        # A plain QuerySet, not the model's manager: see the module docstring for why this command
        # alone may write the column directly.
        queryset: models.QuerySet[Any] = models.QuerySet(model=model, using=database)
        condition = Q()
        for encrypted in fields:
            aliases, stale = _stale_condition(encrypted.attname, kid)
            queryset = queryset.alias(**aliases)
            condition |= stale
        return queryset.filter(condition)

    def _count(
        self, model: type[models.Model], fields: list[EncryptedField], *, kid: str, database: str,
        totals: _Totals,
    ) -> None:
        rows = self._stale_queryset(model, fields, kid=kid, database=database).count()
        values = 0
        for encrypted in fields:
            aliases, stale = _stale_condition(encrypted.attname, kid)
            values += models.QuerySet(model=model, using=database).alias(**aliases).filter(stale).count()
        totals.rows += rows
        totals.values += values
        self._say(f"{model._meta.label}: {values} values in {rows} rows under older keys.")

    def _rotate(
        self, model: type[models.Model], fields: list[EncryptedField], *, kid: str, database: str,
        batch_size: int, totals: _Totals,
    ) -> None:
        stale_rows = self._stale_queryset(model, fields, kid=kid, database=database).order_by("pk")
        total = stale_rows.count()
        label = model._meta.label
        if not total:
            self._say(f"{label}: nothing to re-encrypt.")
            return
        # The bound row id: the primary key, or for a historical model the copy of the original's.
        id_attname = fields[0].bound_id_attname
        names = [f.attname for f in fields]
        done = 0
        last_pk: Any = None
        while True:
            page = stale_rows if last_pk is None else stale_rows.filter(pk__gt=last_pk)
            rows = list(page.values_list("pk", id_attname, *names)[:batch_size])
            if not rows:
                break
            last_pk = rows[-1][0]
            updates, values = self._reseal(model, fields, rows, kid=kid, totals=totals)
            if updates:
                with transaction.atomic(using=database):
                    models.QuerySet(model=model, using=database).filter(
                        pk__in=[row[0] for row in rows]
                    ).update(**updates)
            done += len(rows)
            totals.rows += len(rows)
            totals.values += values
            self._say(f"{label}: {done}/{total} rows")

    def _reseal(
        self, model: type[models.Model], fields: list[EncryptedField], rows: list[tuple[Any, ...]], *,
        kid: str, totals: _Totals,
    ) -> tuple[dict[str, Case], int]:
        """Decrypt each stale value with its own binding and seal it again under ``kid``."""
        current = sealed_prefix(kid)
        updates: dict[str, Case] = {}
        values = 0
        for index, encrypted in enumerate(fields, start=2):
            whens = []
            for row in rows:
                sealed = row[index]
                token = getattr(sealed, "token", None)
                if token is None or not token.startswith(TOKEN_HEAD) or token.startswith(current):
                    continue
                binding = encrypted.binding_for_row_id(row[1])
                try:
                    plaintext = decrypt_text(token, binding=binding)
                except DecryptionError as exc:
                    totals.failures.append(f"{model._meta.label} pk={row[0]}: {exc}")
                    continue
                new_token = _Token(encrypt_text(plaintext, binding=binding))
                # Compare-and-set: only where the column still holds what was read.
                whens.append(When(
                    Q(pk=row[0]) & Q(**{encrypted.attname: _Token(token)}),
                    then=Value(new_token, output_field=encrypted),
                ))
                values += 1
            if whens:
                updates[encrypted.attname] = Case(
                    *whens, default=F(encrypted.attname), output_field=encrypted
                )
        return updates, values
