"""Factories for the standing cast. Data built in code, through the services."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import AdminUnit, Membership, Organisation, User

TEST_PASSWORD = "correct-horse-battery-staple"
_codes = itertools.count(10_000)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def unit(level: str, name: str, parent: AdminUnit | None = None, code: str | None = None) -> AdminUnit:
    return services.admin_unit_create(level=level, code=code or str(next(_codes)), name=name, parent=parent)


def organisation(kind: str, area: AdminUnit, name: str | None = None, **extra: object) -> Organisation:
    if kind == Organisation.Kind.TRUSTED_ADDRESS:
        extra.setdefault("established_on", dt.date(2023, 3, 8))
        extra.setdefault("programme_status", Organisation.ProgrammeStatus.NEW)
    return services.organisation_create(
        name=name or f"{kind} {area.name}", kind=kind, area=area, by=None, **extra  # type: ignore[arg-type]
    )


def member(role: str, org: Organisation, username: str | None = None, user: User | None = None) -> Membership:
    user = user or UserFactory(username=username) if username else user or UserFactory()
    return services.membership_grant(user=user, organisation=org, role=role, by=None)


def totp_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)
