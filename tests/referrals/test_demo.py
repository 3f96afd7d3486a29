from django.core.management import call_command

from accounts.models import User
from referrals.models import PartnerProfile, Referral, Status


def test_demo_has_referrals_in_every_state_and_partners_with_work_in_their_inbox(db):
    call_command("seed_demo", verbosity=0)
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in Status}
    assert Referral.objects.overdue().exists()
    police = User.objects.get(username="congan").memberships.get()
    assert Referral.objects.received_by(police).active().count() >= 3
    assert PartnerProfile.objects.listed().count() == 8

    counts = (Referral.objects.count(), PartnerProfile.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Referral.objects.count(), PartnerProfile.objects.count()) == counts
