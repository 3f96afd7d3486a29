"""The refusals Django answers itself — a form refused by the CSRF check, a request it cannot read —
are Vietnamese, phone-width pages that say what happened and repeat nothing of the request."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from casework.models import CaseNote
from tests.casework.builders import case_a
from tests.conftest import signed_in
from tests.i18n.english import english_on_page

CANARY_TYPED = "Chị Hờ Thị Mây trốn ở nhà bà Sáu"
CANARY_QUERY = "Mây-ở-nhà-bà-Sáu"
PHONE_WIDTH = '<meta name="viewport" content="width=device-width, initial-scale=1">'
# What Django's own page says (or its reasons do), none of which a volunteer should meet.
DJANGO_WORDS = ("CSRF", "Referer", "Forbidden", "cookie", "Bad Request", "verification failed")


def _refusing(cast=None):  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    if cast is not None:
        client.force_login(cast.volunteer_a.user)
        session = client.session
        session["acting_membership_id"] = cast.volunteer_a.pk
        session.save()
    return client


def test_a_form_refused_by_the_csrf_check_gets_a_vietnamese_page_that_repeats_nothing(cast):
    case = case_a(cast)
    notes = CaseNote.objects.count()
    url = reverse("casework:note-create", kwargs={"pk": case.pk})
    response = _refusing(cast).post(f"{url}?q={CANARY_QUERY}", {"text": CANARY_TYPED})
    html = response.content.decode()

    assert response.status_code == 403
    assert "<h1>Trang này đã hết hạn</h1>" in html
    assert "Trang này đã mở quá lâu hoặc đã mở ở thẻ khác. Chưa có gì được lưu." in html
    assert "chép lại nội dung đó trước" in html  # she is told to copy what she typed before reloading
    assert f'href="{reverse("home")}"' in html
    assert PHONE_WIDTH in html and "/static/css/app.css" in html  # the site's own phone layout
    assert CANARY_TYPED not in html and CANARY_QUERY not in html and str(case.pk) not in html
    assert not any(word in html for word in DJANGO_WORDS)
    assert not english_on_page(html)
    assert CaseNote.objects.count() == notes


def test_a_signed_out_visitor_refused_by_the_csrf_check_is_offered_the_sign_in_page(db):
    response = _refusing().post(reverse("accounts:login"), {"username": "hoa.tnv", "password": "bí-mật"})
    html = response.content.decode()

    assert response.status_code == 403
    assert "Trang này đã hết hạn" in html
    assert f'href="{reverse("accounts:login")}"' in html
    assert "hoa.tnv" not in html and "bí-mật" not in html
    assert not any(word in html for word in DJANGO_WORDS)
    assert not english_on_page(html)


def test_the_csrf_page_still_lets_her_go_on_after_reloading(cast):
    """The refusal sets a fresh CSRF cookie: the form, reloaded, goes through."""
    client = _refusing(cast)
    url = reverse("casework:note-create", kwargs={"pk": case_a(cast).pk})
    assert client.post(url, {"text": "Lần một"}).status_code == 403
    client.get(url)  # she reloads the page
    token = client.cookies["csrftoken"].value
    response = client.post(url, {"text": "Lần hai", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert CaseNote.objects.filter(case=case_a(cast)).count() == 2  # case A's own note, and this one


def test_a_request_with_too_many_fields_gets_a_vietnamese_page(cast):
    url = reverse("casework:note-create", kwargs={"pk": case_a(cast).pk})
    fields = {f"o{i}": CANARY_TYPED for i in range(500)}
    response = signed_in(cast.volunteer_a).post(url, fields)
    html = response.content.decode()

    assert response.status_code == 400
    assert "<h1>Không gửi được trang này</h1>" in html
    assert "Chưa có gì được lưu." in html
    assert PHONE_WIDTH in html
    assert CANARY_TYPED not in html
    assert not any(word in html for word in DJANGO_WORDS)
    assert not english_on_page(html)
