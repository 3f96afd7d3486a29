"""Django's own messages reach users too — form errors, password rules, the operator's admin — and
Django's Vietnamese catalogues lack some of them ("Null characters are not allowed."). Our
locale_thirdparty catalogue, which takes precedence over Django's, fills every gap; these tests keep it so
after a Django upgrade."""

from __future__ import annotations

import json
import re

from django.urls import reverse

from casework.models import CaseNote
from tests.casework.builders import case_a
from tests.conftest import signed_in
from tests.i18n import po
from tests.i18n.english import OUR_CATALOGUE, THIRD_PARTY_CATALOGUES, django_catalogues, english_on_page

NUL_MESSAGE = "Có ký tự không hợp lệ (ký tự rỗng, thường lẫn vào khi dán chữ). Hãy xoá ký tự đó rồi gửi lại."


def _untranslated(domain: str) -> list[str]:
    # Some of Django's messages are also our code's own (an encrypted date field says what a date field
    # says): those are in our catalogue.
    ours = [path for path in (OUR_CATALOGUE.with_name(f"{domain}.po"), THIRD_PARTY_CATALOGUES / f"{domain}.po")
            if path.exists()]
    translated = {entry.key for path in [*django_catalogues("vi", domain), *ours]
                  for entry in po.live(po.read(path)) if entry.translated}
    return sorted({entry.msgid for path in django_catalogues("en", domain) for entry in po.live(po.read(path))
                   if entry.key not in translated})


def test_every_message_of_django_and_its_installed_apps_has_a_vietnamese_translation():
    missing = _untranslated("django")
    assert not missing, ("Django messages without Vietnamese (add them to "
                         "locale_thirdparty/vi/LC_MESSAGES/django.po):\n" + "\n".join(missing))


def test_every_message_of_the_admins_javascript_has_a_vietnamese_translation():
    missing = _untranslated("djangojs")
    assert not missing, "Django admin JavaScript messages without Vietnamese (add them to " \
        "locale_thirdparty/vi/LC_MESSAGES/djangojs.po):\n" + "\n".join(missing)


def test_a_null_character_in_a_form_gets_the_vietnamese_message_and_keeps_what_was_typed(cast):
    case = case_a(cast)
    notes = CaseNote.objects.count()
    response = signed_in(cast.volunteer_a).post(reverse("casework:note-create", kwargs={"pk": case.pk}),
                                                {"text": "Chị ấy gọi lúc 9 giờ\x00 tối."})
    html = response.content.decode()
    assert response.status_code == 200
    assert NUL_MESSAGE in html
    assert "Null characters" not in html
    assert "Chị ấy gọi lúc 9 giờ" in html  # what she typed is still in the form
    assert CaseNote.objects.count() == notes  # and nothing was saved
    assert not english_on_page(html)


def test_a_null_character_on_the_sign_in_page_gets_the_vietnamese_message(client):
    response = client.post(reverse("accounts:login"), {"username": "hoa\x00", "password": "x"})
    html = response.content.decode()
    assert response.status_code == 200
    assert NUL_MESSAGE in html
    assert not english_on_page(html)


def test_a_too_short_password_is_refused_in_vietnamese(cast):
    response = signed_in(cast.volunteer_a).post(reverse("accounts:password-change"), {
        "old_password": "correct-horse-battery-staple", "new_password1": "ngan", "new_password2": "ngan"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mật khẩu này quá ngắn. Mật khẩu phải có ít nhất 10 ký tự." in html
    assert not english_on_page(html)


def test_the_admin_serves_its_javascript_in_vietnamese(cast):
    """admin:jsi18n merges our djangojs catalogue with Django's: every admin script message is there."""
    script = signed_in(cast.sysadmin).get(reverse("admin:jsi18n")).content.decode()
    served = json.loads(re.search(r"const newcatalog = (\{.*?\});", script, re.S)[1])
    assert served["Sunday"] == "Chủ nhật"
    assert served["Choose all %s"] == "Chọn tất cả %s"
    admin_messages = {entry.msgid if not entry.context else f"{entry.context}\x04{entry.msgid}"
                      for path in django_catalogues("en", "djangojs") for entry in po.live(po.read(path))}
    assert admin_messages - served.keys() == set()
