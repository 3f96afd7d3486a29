"""Writes for accounts: organisations, administrative units, memberships, and work kept across a time-out.

Each service validates with ``full_clean()``, runs in one transaction and records who did it in the
history tables (simple-history reads ``_history_user`` and ``_change_reason``). Change reasons are
English messages marked with ``gettext_noop``: stored as they are, translated where the operator's
history pages show them (templates/simple_history/object_history_list.html).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import AdminUnit, Membership, Organisation, UnsavedWork, User


def _stamp(obj: object, *, by: User | None, reason: str) -> None:
    obj._history_user = by  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]


@transaction.atomic
def admin_unit_create(
    *, level: str, code: str, name: str, parent: AdminUnit | None = None,
    valid_from: dt.date | None = None, valid_until: dt.date | None = None,
) -> AdminUnit:
    unit = AdminUnit(
        level=level, code=code.strip(), name=name.strip(), parent=parent,
        valid_from=valid_from, valid_until=valid_until,
    )
    unit.path = AdminUnit.path_for(level=level, code=unit.code, parent=parent)
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def organisation_create(
    *, name: str, kind: str, area: AdminUnit, by: User | None,
    established_on: dt.date | None = None, programme_status: str = "", is_active: bool = True,
) -> Organisation:
    """Create an organisation and the permission group that will hold its object permissions."""
    organisation = Organisation(
        name=name.strip(), kind=kind, area=area, established_on=established_on,
        programme_status=programme_status, is_active=is_active,
    )
    organisation.group = Group.objects.create(name=f"organisation:{organisation.id}")
    organisation.full_clean()
    _stamp(organisation, by=by, reason=gettext_noop("created"))
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, by: User | None, **fields: object) -> Organisation:
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    _stamp(organisation, by=by, reason=gettext_noop("updated"))
    organisation.save()
    return organisation


@transaction.atomic
def membership_grant(*, user: User, organisation: Organisation, role: str, by: User | None) -> Membership:
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    _stamp(membership, by=by, reason=gettext_noop("granted"))
    membership.save()
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, by: User | None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    membership.is_active = False
    _stamp(membership, by=by, reason=gettext_noop("revoked"))
    membership.save()
    return membership


# --- Work posted after the idle time-out (accounts/unsaved.py) --------------------------------------


def unsaved_work_purge() -> int:
    """Delete every expired row; returns how many. Called whenever rows are written or read."""
    deleted, _by_model = UnsavedWork.objects.expired().delete()
    return deleted


@transaction.atomic
def unsaved_work_keep(
    *, user: User, membership: Membership | None, action: str, page: str, fields: dict[str, list[str]],
    replacing: uuid.UUID | None = None,
) -> UnsavedWork:
    """Seal what ``user`` posted after their session timed out. ``replacing`` (the work this browser
    kept before) is deleted: one browser keeps its newest post only."""
    unsaved_work_purge()
    if replacing is not None:
        UnsavedWork.objects.filter(pk=replacing, user=user).delete()
    work = UnsavedWork(user=user, membership=membership, action=action, page=page)
    work.fields = UnsavedWork.seal(work.pk, fields)
    work.full_clean()
    work.save(force_insert=True)
    return work


@transaction.atomic
def unsaved_work_claim(*, pk: uuid.UUID, user: User) -> UnsavedWork | None:
    """Take the kept work out of the database for ``user``, who has just signed in on the browser that
    kept it. The row is deleted whoever signs in; only its author, within the hour, gets it back."""
    unsaved_work_purge()
    work = UnsavedWork.objects.select_for_update().filter(pk=pk).first()
    if work is None:
        return None
    work.delete()
    if work.user_id != user.pk or work.is_expired:
        return None
    # ``delete()`` cleared the primary key; the sealed fields stay bound to it.
    work.pk = pk
    return work
