"""The demo's roles end in force, confirmed as the system would confirm them — and leave a history."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import AccountEvent, Membership
from portal import demo as portal_demo

Kind = AccountEvent.Kind


@pytest.fixture(autouse=True)
def accounts_demo_only(monkeypatch):
    monkeypatch.setattr(portal_demo, "BUILDERS", ())


def test_every_demo_role_is_in_force_each_confirmed_by_its_confirmer(db):
    call_command("seed_demo", stdout=StringIO())

    assert not Membership.objects.exclude(state=Membership.State.ACTIVE).exists()
    confirmed_by = {
        (m.user.username, m.organisation.name): (m.decided_by.username if m.decided_by else None)
        for m in Membership.objects.filter(
            events__kind=Kind.MEMBERSHIP_CONFIRMED).select_related("user", "organisation", "decided_by")
    }
    assert confirmed_by == {
        # The district's first supervisor: nobody in the application could, so the console did.
        ("giamsat", "Hội LHPN huyện Kon Plông"): None,
        # Addresses and partners without their own confirmer yet: the supervisor of their area.
        ("truongdiachi", "Địa chỉ tin cậy làng Kon Chênh"): "giamsat",
        ("truongdiachib", "Địa chỉ tin cậy xã Hiếu"): "giamsat",
        ("congan", "Công an xã Măng Cành"): "giamsat",
        ("yte", "Trạm Y tế xã Hiếu"): "giamsat",
        # Volunteers: their own address's lead.
        ("tinhnguyen", "Địa chỉ tin cậy làng Kon Chênh"): "truongdiachi",
        ("haidiachi", "Địa chỉ tin cậy làng Kon Chênh"): "truongdiachi",
        ("haidiachi", "Địa chỉ tin cậy xã Hiếu"): "truongdiachib",
        ("tinhnguyenb", "Địa chỉ tin cậy xã Hiếu"): "truongdiachib",
    }
    # The roles that need no confirmation were granted at once.
    granted = set(Membership.objects.filter(events__kind=Kind.MEMBERSHIP_GRANTED)
                  .values_list("user__username", flat=True))
    assert granted == {"phantich", "quantri"}


def test_a_second_run_confirms_and_records_nothing_more(db):
    call_command("seed_demo", stdout=StringIO())
    events = AccountEvent.objects.count()

    call_command("seed_demo", stdout=StringIO())

    assert AccountEvent.objects.count() == events
