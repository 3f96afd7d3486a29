from referrals.models import Referral, Status
from tests.casework.builders import CANARY_NAME
from tests.conftest import signed_in
from tests.referrals.builders import referral_a, referral_b


def test_police_officer_accepts_and_completes_and_volunteer_sees_the_outcome(cast):
    referral = referral_a(cast)
    police = signed_in(cast.police_officer)
    page = police.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert CANARY_NAME not in page.content.decode()
    assert police.post(f"/referrals/{referral.pk}/act/", {"action": "accept"}).status_code == 302
    assert police.post(f"/referrals/{referral.pk}/act/", {"action": "start"}).status_code == 302
    done = police.post(f"/referrals/{referral.pk}/act/", {"action": "complete", "note": "Đã lập biên bản."})
    assert done.status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == Status.COMPLETED
    case_page = signed_in(cast.volunteer_a).get(f"/referrals/case/{referral.case_id}/")
    assert "Đã lập biên bản." in case_page.content.decode()


def test_police_cannot_open_a_referral_to_another_partner(cast):
    assert signed_in(cast.police_officer).get(f"/referrals/{referral_b(cast).pk}/").status_code == 404
