"""Normalisation of names and phone numbers for the blind index: examples and properties."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st

from casework.normalise import InvalidPhoneNumber, normalise_name, normalise_phone

# --- Names --------------------------------------------------------------------------------------

HUONG_NFC = unicodedata.normalize("NFC", "Nguyễn Thị Hương")
HUONG_NFD = unicodedata.normalize("NFD", "Nguyễn Thị Hương")


def test_the_same_vietnamese_name_written_four_ways_normalises_identically():
    assert HUONG_NFC != HUONG_NFD

    assert {
        normalise_name(HUONG_NFC),
        normalise_name(HUONG_NFD),
        normalise_name("  NGUYEN   thi huong "),
        normalise_name("Nguyen Thi Huong"),
    } == {"nguyen thi huong"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Đặng Văn Đức", "dang van duc"),
        ("ĐỖ THỊ ĐÀO", "do thi dao"),
        ("Ðặng Văn Ðức", "dang van duc"),  # U+00D0 from Windows-1258 keyboards
        ("Trần\u200bThị\tMai\n", "tranthi mai"),  # zero-width space dropped, tab/newline are spaces
        ("Lê  Ngọc\u00a0Ánh", "le ngoc anh"),  # no-break space collapses like any other
        ("Phạm Thị Thu Hà 🌸", "pham thi thu ha 🌸"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_name_normalisation_examples(raw, expected):
    assert normalise_name(raw) == expected


VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
COMBINING = st.characters(min_codepoint=0x0300, max_codepoint=0x036F)
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
WHITESPACE = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u2003", "\u3000"])
MIXED_TEXT = st.lists(
    st.one_of(st.characters(), COMBINING, EMOJI, WHITESPACE, st.sampled_from(list(VIETNAMESE_LETTERS))),
    max_size=40,
).map("".join)


@st.composite
def vietnamese_names(draw: st.DrawFn) -> str:
    words = []
    for _word in range(draw(st.integers(min_value=1, max_value=4))):
        letters = draw(st.lists(st.sampled_from(VIETNAMESE_LETTERS), min_size=1, max_size=7))
        tone = draw(st.sampled_from(["", *TONE_MARKS]))
        word = unicodedata.normalize("NFC", letters[0] + tone + "".join(letters[1:]))
        words.append(draw(st.sampled_from([word, word.upper(), word.title()])))
    separators = st.text(alphabet=" \t\u00a0", min_size=1, max_size=3)
    return "".join(w + draw(separators) for w in words)


@given(MIXED_TEXT)
@example("ǅ\u0345İ㎒ß\ufb03")  # title case, iota subscript, dotted I, compatibility and ligature letters
def test_name_normalisation_is_blind_to_nfc_versus_nfd(text):
    assert normalise_name(unicodedata.normalize("NFC", text)) == normalise_name(
        unicodedata.normalize("NFD", text)
    )


@given(st.one_of(MIXED_TEXT, st.text()))
@example("ǅ\u0345İ㎒ß\ufb03")
def test_name_normalisation_is_idempotent_and_never_crashes(text):
    once = normalise_name(text)

    assert normalise_name(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert not any(unicodedata.combining(char) for char in once)


@given(vietnamese_names())
def test_accented_vietnamese_names_normalise_to_lower_case_ascii_words(name):
    normalised = normalise_name(name)

    assert re.fullmatch(r"[a-z]+( [a-z]+)*", normalised)
    assert normalised == normalise_name(name.upper()) == normalise_name(name.lower())


# --- Phone numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912 345 678", "+84912345678"),
        ("+84 912-345-678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("(091) 2345678", "+84912345678"),
        ("+84 (0) 912 345 678", "+84912345678"),
        ("0084 912 345 678", "+84912345678"),
        ("０９１２３４５６７８", "+84912345678"),  # full-width digits from a phone keyboard
        ("091.234.5678", "+84912345678"),
        ("0168 123 4567", "+84381234567"),  # pre-2018 Viettel number, renumbered 0168 → 038
        ("+84 123 456 7890", "+84834567890"),  # pre-2018 VinaPhone 0123 → 083
        ("024 3825 1234", "+842438251234"),  # Hà Nội landline
        ("+84 28 3822 1234", "+842838221234"),  # TP. Hồ Chí Minh landline
        ("+84912345678", "+84912345678"),
    ],
)
def test_vietnamese_phone_numbers_normalise_to_e164(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "không có",
        "0912 345 67",  # one digit short
        "0912 345 6789",  # one digit long
        "+1 212 555 0100",  # not Vietnamese
        "0412345678",  # landline in the pre-2017 numbering, ambiguous today
        "0112345678",
        "09123456780000",
        "+",
        "0912+345678",
        "٠٩١٢٣٤٥٦٧٨",  # Arabic-Indic digits
    ],
)
def test_implausible_phone_numbers_are_refused_with_a_translatable_message(raw):
    with pytest.raises(InvalidPhoneNumber) as excinfo:
        normalise_phone(raw)

    assert isinstance(excinfo.value, ValueError)
    with translation.override("en"):
        assert str(excinfo.value) == (
            "Enter a Vietnamese mobile or landline phone number, for example 0912 345 678."
        )


NATIONAL_NUMBERS = st.one_of(
    st.tuples(st.sampled_from("35789"), st.text(alphabet="0123456789", min_size=8, max_size=8)),
    st.tuples(st.just("2"), st.text(alphabet="0123456789", min_size=9, max_size=9)),
).map("".join)


@st.composite
def written_phone_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(a national number, the same number written as a person might)."""
    national = draw(NATIONAL_NUMBERS)
    prefix = draw(st.sampled_from(["0", "+84", "+84 ", "84", "0084", "+84 (0)", "(0"]))
    separators = st.sampled_from(["", "", "", " ", "-", ".", " - "])
    body = "".join(digit + draw(separators) for digit in national).rstrip(" -.")
    if prefix == "(0":
        body = body[:2] + ")" + body[2:]
    return national, f"{draw(st.sampled_from(['', ' ']))}{prefix}{body}"


@given(written_phone_numbers())
def test_any_common_way_of_writing_a_number_gives_its_e164_form(case):
    national, written = case

    assert normalise_phone(written) == f"+84{national}"


@given(NATIONAL_NUMBERS)
def test_phone_normalisation_is_idempotent(national):
    normalised = normalise_phone(f"0{national}")

    assert normalise_phone(normalised) == normalised


@given(st.one_of(st.text(), st.text(alphabet="+0123456789 -().", max_size=20)))
def test_phone_normalisation_returns_e164_or_raises_value_error(text):
    try:
        normalised = normalise_phone(text)
    except ValueError:
        return
    assert re.fullmatch(r"\+84([35789]\d{8}|2\d{9})", normalised)
