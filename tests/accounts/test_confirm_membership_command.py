"""manage.py confirm_membership: the console confirms only what nobody in the application may."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import AccountEvent, Membership, Organisation, Role
from tests import factories as f
from tests.accounts.builders import pending


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("confirm_membership", *args, stdout=out)
    return out.getvalue()


def test_the_first_supervisor_of_a_district_is_confirmed_from_the_console(cast):
    district = f.unit("district", "Huyện Mới", cast.province)
    office = f.organisation(Organisation.Kind.WOMENS_UNION_DISTRICT, district, "Hội LHPN huyện Mới")
    grant = pending(cast, office, Role.UNION_SUPERVISOR)

    output = run(str(grant.pk), "--dry-run")
    assert "Dry run: nothing was confirmed." in output
    grant.refresh_from_db()
    assert grant.state == Membership.State.REQUESTED

    assert "Confirmed from the server console." in run(str(grant.pk))
    grant.refresh_from_db()
    assert (grant.state, grant.decided_by) == (Membership.State.ACTIVE, None)
    event = AccountEvent.objects.get(membership=grant, kind=AccountEvent.Kind.MEMBERSHIP_CONFIRMED)
    assert event.by is None


def test_the_console_refuses_a_grant_that_someone_in_the_application_can_confirm(cast):
    grant = pending(cast, cast.address_a)

    with pytest.raises(CommandError, match="Someone in the application can confirm this role: lan"):
        run(str(grant.pk))
    grant.refresh_from_db()
    assert grant.state == Membership.State.REQUESTED


@pytest.mark.parametrize("which", ["unknown", "active"])
def test_the_console_refuses_what_is_not_awaiting_confirmation(cast, which):
    pk = 999_999 if which == "unknown" else cast.volunteer_a.pk
    with pytest.raises(CommandError, match="There is no membership" if which == "unknown" else "not awaiting"):
        run(str(pk))
