"""The detector the page test relies on: it finds English, and only English."""

from __future__ import annotations

import pytest

from tests.i18n.english import english_in, english_on_page, visible_pieces


@pytest.mark.parametrize("text", [
    "Null characters are not allowed.",  # Django's message, which its Vietnamese catalogue lacks
    "Trusted addresses: something needs your attention",  # the referral e-mail's subject before the fix
    "Acting as:",  # one of our messages, shown untranslated
    "Status",  # a single word that is a translated msgid
    "Profile",  # a single English word alone
    "Hồ sơ · Case closed",  # a run inside Vietnamese
])
def test_english_is_found(text: str):
    assert english_in(text)


@pytest.mark.parametrize("text", [
    "Hồ sơ đã đóng",
    "Kế hoạch an toàn: đến nhà trưởng thôn",  # "an", "to", "do" are Vietnamese syllables too
    "Tải về CSV · PDF · XLSX · DHIS2",  # formats and systems have no Vietnamese name
    "RF_MEDIAN_HOURS",  # an indicator code
    "Thiếu các trường: services-TOTAL_FORMS",  # a field name inside a message
    "hoa.tnv",  # a username
    "C7M7-4WED",  # a survivor code: random letters
    "3 / 12",
])
def test_vietnamese_codes_and_numbers_are_not_english(text: str):
    assert english_in(text) == []


def test_a_page_is_read_as_its_reader_sees_it():
    html = """<html lang="vi"><head><title>Trang chủ · Not found</title><style>.x{color:red}</style></head>
    <body><script src="/static/a.js">var message = "Hello world";</script>
    <input type="hidden" name="next" value="/cases/open now/">
    <input type="submit" value="Save changes"><img src="x.png" alt="Search results">
    <input name="q" placeholder="Type a name"><a href="/" title="Back home" aria-label="Go back">x</a>
    <button lang="en" name="language" value="en">English words here</button>
    <p>Nội dung <span lang="en">in English on purpose</span> tiếp theo</p></body></html>"""
    pieces = dict((where, text) for where, text in visible_pieces(html) if where != "text")
    assert pieces == {"title": "Back home", "value": "Save changes", "alt": "Search results",
                      "placeholder": "Type a name", "aria-label": "Go back"}
    texts = [text.strip() for where, text in visible_pieces(html) if where == "text"]
    assert texts == ["x", "Nội dung", "tiếp theo"]
    found = {(finding.where, finding.text) for finding in english_on_page(html)}
    assert found == {("title", "Trang chủ · Not found"), ("value", "Save changes"), ("alt", "Search results"),
                     ("placeholder", "Type a name"), ("title", "Back home"), ("aria-label", "Go back")}
