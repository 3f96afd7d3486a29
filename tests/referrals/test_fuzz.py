"""Bad input on the referral forms: a clear error, no 500, nothing lost."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals.models import Referral, Status
from tests.casework.builders import case_a
from tests.conftest import signed_in
from tests.referrals.builders import referral_a

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=3000)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(reason=text, urgency=st.sampled_from(["routine", "urgent", "", "x" * 50]),
       services=st.lists(st.sampled_from(["police_protection", "legal_aid", "bogus", ""]), max_size=3),
       shared=st.lists(st.sampled_from(["code", "phone", "full_name", "narrative", "notes", "'; DROP"]), max_size=4))
def test_referral_form_never_fails_and_keeps_what_was_typed(cast, reason, urgency, services, shared):
    case = case_a(cast)
    client = signed_in(cast.volunteer_a)
    response = client.post(f"/referrals/case/{case.pk}/new/", {
        "partner": cast.police1.pk, "services": services, "urgency": urgency, "reason": reason,
        "shared_fields": shared, "draft": "1",
    })
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["form"].errors
        assert response.context["form"]["reason"].value() == reason
    else:
        referral = Referral.objects.filter(case=case).latest("created_at")
        # Only whitelisted keys are ever kept, whatever was posted.
        assert set(referral.shared_fields) <= {"code", "phone", "full_name"}


@FUZZ
@given(action=st.text(max_size=40), note=text)
def test_partner_actions_never_fail(cast, action, note):
    referral = referral_a(cast)
    response = signed_in(cast.police_officer).post(f"/referrals/{referral.pk}/act/", {"action": action, "note": note})
    assert response.status_code in (302, 409)
    assert Referral.objects.get(pk=referral.pk).status in {s.value for s in Status}


@FUZZ
@given(service=st.text(max_size=30), commune=st.text(max_size=30))
def test_directory_search_never_fails(cast, service, commune):
    response = signed_in(cast.volunteer_a).get("/referrals/directory/", {"service": service, "commune": commune})
    assert response.status_code == 200
