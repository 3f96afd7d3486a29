"""Names typed into the case search never reach a URL, a redirect or a log line (issue 9, item 2).

The search box takes a survivor code, a name (with the birth year) or a phone number. Only a code in
its exact shape is answered with a redirect to an address that can be bookmarked; before this rule,
"Thanh" was read as the code prefix THAN-H and 14 of 19 common given names ended up in the address
bar, the phone's history and the access logs.

Two hundred common Vietnamese names (tests/casework/vietnamese_names.py), each with and without
diacritics, upper and lower case, are typed by the volunteer: POSTed without and with a birth year,
and put into the address by hand.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.forms_lifecycle import as_survivor_code
from casework.models import SURVIVOR_CODE_ALPHABET, SURVIVOR_CODE_RE, new_survivor_code
from tests.casework.builders import case_a
from tests.casework.vietnamese_names import NAMES, without_diacritics
from tests.conftest import signed_in
from tests.typed_text import carries, record_text, unvetted, urls_in

LIST = reverse("casework:case-list")
ADDRESS_BAR_ERROR = "Tìm theo tên hoặc số điện thoại bằng nút Tìm kiếm."


def _leaks(response, typed: str, records) -> list[str]:  # type: ignore[no-untyped-def]
    """Everything in one answer that carries ``typed`` or an unvetted value into a URL or a log line."""
    found = []
    if 300 <= response.status_code < 400:
        location = response["Location"]
        found += [f"redirect {location}: {problem}" for problem in unvetted(location)]
        if carries(location, typed):
            found.append(f"redirect {location}")
    if "html" in response.get("Content-Type", ""):
        for url in urls_in(response.content.decode()):
            found += [f"page URL {url}: {problem}" for problem in unvetted(url)]
            if carries(url, typed):
                found.append(f"page URL {url}")
    found += [f"log {record.name}: {record_text(record)}" for record in records
              if carries(record_text(record), typed)]
    return found


def test_the_list_holds_two_hundred_names():
    assert len(NAMES) == len(set(NAMES)) == 200
    for name in ("Thu", "Thanh", "Hạnh", "Hằng", "Nga", "Anh", "Vân", "Thắm", "Duyên", "Tuyết", "Huyền",
                 "Hà Thu", "Y Nhàn", "Huệ", "Nguyễn", "Ksor", "Siu", "Rơ Mah", "H'Hen", "A Sang"):
        assert name in NAMES


SPELLINGS = {
    "as written, upper case": str.upper,
    "as written, lower case": str.lower,
    "without diacritics, upper case": lambda name: without_diacritics(name).upper(),
    "without diacritics, lower case": lambda name: without_diacritics(name).lower(),
}


def _type_each_name(cast, logs, requests):  # type: ignore[no-untyped-def]
    """Send ``requests(name)`` — (typed text, method, data) triples — for every name as the volunteer,
    and return what leaked, by name."""
    case_a(cast)  # a list with a case in it: rows and their links are on the page
    client = signed_in(cast.volunteer_a)
    client.get(LIST)  # warm the session
    leaks: dict[str, list[str]] = {}
    for name in NAMES:
        for typed, method, data in requests(name):
            logs.clear()
            response = getattr(client, method)(LIST, data)
            assert response.status_code in (200, 302), (typed, method, response.status_code)
            found = _leaks(response, typed, logs.records)
            if found:
                leaks.setdefault(name, []).extend(f"{method} {typed!r}: {f}" for f in found)
            elif method == "get":
                # Typed into the address by hand: not searched, and said so.
                assert response.context["form"].errors["q"] == [ADDRESS_BAR_ERROR], typed
            else:
                assert response.status_code == 200, (typed, data)
    return leaks


def _report(leaks: dict[str, list[str]]) -> str:
    return f"{len(leaks)} of {len(NAMES)} names leaked:\n" + "\n".join(
        line for lines in leaks.values() for line in lines[:2])


@pytest.mark.parametrize("spelling", SPELLINGS, ids=str)
def test_no_name_posted_to_the_search_reaches_a_url_a_redirect_or_a_log_line(cast, every_log_record, spelling):
    def posted(name: str) -> list[tuple[str, str, dict[str, str]]]:
        typed = SPELLINGS[spelling](name)
        return [(typed, "post", {"q": typed})]

    leaks = _type_each_name(cast, every_log_record, posted)
    assert not leaks, _report(leaks)


def test_no_name_searched_with_its_birth_year_or_put_into_the_address_is_echoed(cast, every_log_record):
    def searched(name: str) -> list[tuple[str, str, dict[str, str]]]:
        return [(name, "post", {"q": name, "birth_year": "1990"}), (name, "get", {"q": name})]

    leaks = _type_each_name(cast, every_log_record, searched)
    assert not leaks, _report(leaks)


def test_a_code_search_is_the_one_thing_that_goes_into_the_address(cast, every_log_record):
    """The counterpart: the leak checks above do see a redirect when there is one."""
    code = case_a(cast).survivor.code
    response = signed_in(cast.volunteer_a).post(LIST, {"q": f" {code.lower()} ", "risk": "none"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q={code}&risk=none"
    assert unvetted(response["Location"]) == []
    assert carries(response["Location"], code)
    assert unvetted(f"{LIST}?q={code[:6]}") == [f"q={code[:6]!r}"]
    assert unvetted(f"{LIST}?q=THAN-HHUE") == []  # exact shape: why the test also looks for shapes of the name
    assert carries(f"{LIST}?q=THAN-HHUE", "Thanh Huệ")


def test_only_the_exact_shape_of_a_code_is_a_code():
    code = new_survivor_code()
    assert as_survivor_code(code) == code
    assert as_survivor_code(f"  {code.lower()}\n") == code
    for text in (code.replace("-", ""), code.replace("-", " "), code[:4], code[:6], f"{code}A",
                 code.replace("-", "‐"), f"A{code}", "THAN-H", "THANHHUE", "thuy hang", "Thanh",
                 code.replace(code[0], "Ａ")):  # a full-width letter
        assert as_survivor_code(text) is None, text
    # Every code the application makes has the shape, and the shape uses the code alphabet only.
    assert all(SURVIVOR_CODE_RE.fullmatch(new_survivor_code()) for _ in range(200))
    assert not SURVIVOR_CODE_RE.fullmatch("OBIL-SZ58")
    assert set("ACDEFGHJKMNPQRTUVWXY34679") == set(SURVIVOR_CODE_ALPHABET)


@pytest.mark.parametrize("query", [
    {"q": "Thanh"},
    {"q": "Hà Thu", "status": "open"},
    {"q": "Y Nhàn", "birth_year": "1990"},
    {"q": "0987654321"},
])
def test_an_edited_address_is_not_echoed_into_any_link(cast, query):
    case_a(cast)
    response = signed_in(cast.volunteer_a).get(LIST, query)
    assert response.context["form"].errors["q"] == [ADDRESS_BAR_ERROR]
    html = response.content.decode()
    assert "?" not in response.context["query"]
    for url in urls_in(html):
        assert unvetted(url) == [], url
        assert not carries(url, query["q"]), url
    # The language switch returns to the plain list, not to the edited address.
    assert f'name="next" type="hidden" value="{LIST}"' in html


def test_the_language_switch_keeps_the_vetted_filters(cast):
    code = case_a(cast).survivor.code
    html = signed_in(cast.volunteer_a).get(LIST, {"q": code.lower(), "status": "open"}).content.decode()
    assert f'name="next" type="hidden" value="{LIST}?q={code}&amp;status=open"' in html


def test_a_typed_sign_in_name_and_password_never_reach_a_log_line(cast, client, every_log_record):
    """The other form whose typed text the server handles before anyone is known: axes logs every failed
    sign-in, with the username masked."""
    for attempt in range(6):  # past the lockout
        client.post(reverse("accounts:login"), {"username": "Nguyễn Thị Thanh", "password": f"Hằng-{attempt}"})
    client.post(reverse("accounts:login"), {"username": cast.volunteer_a.user.username, "password": "Hạnh 1990"})
    texts = [record_text(record) for record in every_log_record.records]
    assert any("login failure" in text for text in texts)  # the failures were logged: the capture works
    for typed in ("Nguyễn Thị Thanh", "Hằng-0", "Hằng-5", "Hạnh 1990", cast.volunteer_a.user.username):
        assert not [text for text in texts if carries(text, typed)], typed
