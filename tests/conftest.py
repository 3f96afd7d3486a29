"""The standing cast: one user per role, in two trusted addresses of two communes.

Like healthchecks' alice/bob/charlie: everything is built for address A of commune 1, and the
members of address B (commune 2) "should have no access to A's stuff".
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, TestCase, TransactionTestCase

from accounts.models import AdminUnit, Membership, Organisation, Role
from tests import factories as f


@dataclass
class Cast:
    province: AdminUnit
    district: AdminUnit
    commune1: AdminUnit
    commune2: AdminUnit
    village1: AdminUnit
    address_a: Organisation
    address_b: Organisation
    police1: Organisation
    health2: Organisation
    union_district: Organisation
    union_province: Organisation
    volunteer_a: Membership
    lead_a: Membership
    volunteer_b: Membership
    lead_b: Membership
    police_officer: Membership
    health_officer: Membership
    supervisor: Membership
    analyst: Membership
    sysadmin: Membership

    def by_role(self) -> dict[str, Membership]:
        """One membership per role (the ones acting on address A's side)."""
        return {
            Role.VOLUNTEER: self.volunteer_a,
            Role.LEAD: self.lead_a,
            Role.PARTNER_OFFICER: self.police_officer,
            Role.UNION_SUPERVISOR: self.supervisor,
            Role.PROVINCIAL_ANALYST: self.analyst,
            Role.SYSTEM_ADMINISTRATOR: self.sysadmin,
        }


@pytest.fixture(scope="module")
def _cast_of_module(request: pytest.FixtureRequest, django_db_setup: None,
                    django_db_blocker: Any) -> Iterator[Cast | None]:
    """The standing cast, built once for a module, as Django's ``setUpTestData`` builds a class's data:
    inside a transaction that is rolled back when the module ends, so each test runs in a savepoint of
    it and every change a test makes is undone. ``cast`` hands each test its own copy of the objects.

    A module with a transactional test (a live server, ``transaction=True``) cannot share one: its tests
    build their own cast, as before.
    """
    module_items = [item for item in request.session.items if getattr(item, "module", None) is request.module]
    if any(_is_transactional(item) for item in module_items):
        yield None
        return
    atomic = transaction.atomic()
    # As Django's TestCase marks its own class-wide atomic: code under test may open a durable one.
    atomic._from_testcase = True
    with django_db_blocker.unblock():
        atomic.__enter__()
        try:
            built = build_cast()
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    test_class = getattr(item, "cls", None)
    if test_class is not None and issubclass(test_class, TransactionTestCase) and not issubclass(
            test_class, TestCase):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.fixture
def cast(_cast_of_module: Cast | None, db: None) -> Cast:
    if _cast_of_module is None:
        return build_cast()
    return copy.deepcopy(_cast_of_module)


def build_cast() -> Cast:
    K = Organisation.Kind
    province = f.unit(AdminUnit.Level.PROVINCE, "Tỉnh Thử Nghiệm", code="62")
    district = f.unit(AdminUnit.Level.DISTRICT, "Huyện Núi", province, code="610")
    commune1 = f.unit(AdminUnit.Level.COMMUNE, "Xã Một", district, code="23300")
    commune2 = f.unit(AdminUnit.Level.COMMUNE, "Xã Hai", district, code="23301")
    village1 = f.unit(AdminUnit.Level.VILLAGE, "Thôn Kon", commune1, code="23300-01")
    address_a = f.organisation(K.TRUSTED_ADDRESS, village1, "Địa chỉ tin cậy A")
    address_b = f.organisation(K.TRUSTED_ADDRESS, commune2, "Địa chỉ tin cậy B",
                               programme_status=Organisation.ProgrammeStatus.CONSOLIDATED)
    police1 = f.organisation(K.COMMUNE_POLICE, commune1, "Công an xã Một")
    health2 = f.organisation(K.HEALTH_STATION, commune2, "Trạm y tế xã Hai")
    union_district = f.organisation(K.WOMENS_UNION_DISTRICT, district, "Hội LHPN huyện Núi")
    union_province = f.organisation(K.WOMENS_UNION_PROVINCE, province, "Hội LHPN tỉnh")
    return Cast(
        province=province, district=district, commune1=commune1, commune2=commune2, village1=village1,
        address_a=address_a, address_b=address_b, police1=police1, health2=health2,
        union_district=union_district, union_province=union_province,
        volunteer_a=f.member(Role.VOLUNTEER, address_a, "alice"),
        lead_a=f.member(Role.LEAD, address_a, "lan"),
        volunteer_b=f.member(Role.VOLUNTEER, address_b, "charlie"),
        lead_b=f.member(Role.LEAD, address_b, "binh"),
        police_officer=f.member(Role.PARTNER_OFFICER, police1, "police"),
        health_officer=f.member(Role.PARTNER_OFFICER, health2, "nurse"),
        supervisor=f.member(Role.UNION_SUPERVISOR, union_district, "supervisor"),
        analyst=f.member(Role.PROVINCIAL_ANALYST, union_province, "analyst"),
        sysadmin=f.member(Role.SYSTEM_ADMINISTRATOR, union_province, "operator"),
    )


def signed_in(membership: Membership) -> Client:
    """A client signed in as the membership's user, acting as that membership, second factor done
    where the role needs one."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(membership.user)
    session = client.session
    session["acting_membership_id"] = membership.pk
    if membership.user.requires_two_factor:
        device = f.totp_device(membership.user)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for():
    return signed_in


@pytest.fixture
def every_log_record(caplog):  # type: ignore[no-untyped-def]
    """``caplog``, receiving every logger's records down to DEBUG, ``django.server`` included."""
    from tests.typed_text import capture_every_logger

    with capture_every_logger(caplog.handler):
        yield caplog


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Tests marked ``postgres_only`` exercise PostgreSQL's own SQL: they are deselected (not skipped)
    on SQLite, and `.ci/run` runs the whole suite on PostgreSQL too."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgres_only") is None]
    deselected = [item for item in items if item.get_closest_marker("postgres_only") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
