"""Property: whatever is typed into the sign-in form, the answer is a sign-in or a form error, never a
server error, and the typed username comes back in the form.

Axes locks an address after five failures, so its counters are cleared before every example.
"""

from __future__ import annotations

import unicodedata

from axes.utils import reset as axes_reset
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import TEST_PASSWORD

LOGIN = "/accounts/login/"

# Any character a browser can send in a form (lone surrogates cannot be encoded), with extra weight on
# the awkward ones: combining marks, emoji and their joiners, Vietnamese in both normal forms, controls.
awkward = st.sampled_from([
    "\u0301", "\u0323", "\u0309", "\u200d", "\ufe0f", "\u202e", "\x00", "\r\n", "\t", "\ufeff",
    "👩‍👧", "🏳️‍🌈", "ệ", unicodedata.normalize("NFD", "ệ"), "ａｌｉｃｅ", "İ", "ß", "\U0010ffff",
])
typed = st.lists(st.one_of(st.characters(exclude_categories=["Cs"]), awkward), max_size=200).map("".join)


def _assert_answered_properly(response, username: str) -> None:
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        form = response.context["form"]
        assert form.errors
        html = response.content.decode()
        for errors in form.errors.values():
            for error in errors:
                assert escape(error) in html
        if username:
            # What was typed comes back, escaped, so the person can see and correct it.
            assert f'value="{escape(username)}"' in html


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=typed, password=typed)
@example(username="alice\u0301", password=TEST_PASSWORD)
@example(username="ａｌｉｃｅ", password=TEST_PASSWORD)  # NFKC-equal to "alice": signs in, by design
@example(username="a" * 151, password="x")
@example(username=" alice ", password=TEST_PASSWORD)
def test_any_unicode_typed_into_the_sign_in_form_gets_a_proper_answer(cast, username, password):
    axes_reset()
    response = Client().post(LOGIN, {"username": username, "password": password})

    _assert_answered_properly(response, username)
    if response.status_code == 302:
        assert unicodedata.normalize("NFKC", username).strip() == "alice" and password == TEST_PASSWORD


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000), content_type=st.sampled_from([
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/json",
    "text/plain",
]))
def test_any_bytes_posted_to_sign_in_get_a_form_error_or_a_bad_request(db, body, content_type):
    axes_reset()
    response = Client().post(LOGIN, data=body, content_type=content_type)

    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert response.context["form"].errors
