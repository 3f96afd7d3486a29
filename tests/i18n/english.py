"""Finding English in a page that should be Vietnamese.

Two detectors, fed from the catalogues rather than from a hand-kept word list:

* a whole text (a text node, a title, a button's label…) that is the English ``msgid`` of a message
  that has a Vietnamese translation — the string was shown without being translated;
* a run of two or more English words — words of the catalogues' ``msgid``s that are not also Vietnamese
  syllables (``an``, ``to``, ``do``, ``in``… are both), the syllables being taken from the Vietnamese
  translations themselves — or a text that is one such word alone ("Profile", "Status").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import django
from django.conf import settings

from tests.i18n import po

# Ours: the messages of our code (makemessages writes it), then the other packages' messages that their
# Vietnamese lacks (kept by hand).
OUR_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"
THIRD_PARTY_CATALOGUES = Path(settings.BASE_DIR) / "locale_thirdparty" / "vi" / "LC_MESSAGES"
DJANGO_DIR = Path(django.__file__).parent

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{[^}]*\}|<[^>]+>")
# Codes and identifiers, not words: indicator codes (RF_MEDIAN_HOURS), field names (services-TOTAL_FORMS).
_IDENTIFIER = re.compile(r"[\w.-]*_[\w.-]*")
# Trimmed from both ends before a text is compared with a msgid: "Acting as:" is "Acting as".
_EDGES = " \t\n\r\u00a0:·•–—-…|()[]*,.;!?\"'“”‘’«»/←→✓✗#"


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip(_EDGES)


def words(text: str) -> list[str]:
    return _WORD.findall(_IDENTIFIER.sub(" ", _PLACEHOLDER.sub(" ", text)))


def django_catalogues(language: str, domain: str = "django") -> list[Path]:
    """Django's catalogues for the installed django.* apps, and its core one."""
    bases = [DJANGO_DIR / "conf"] + [
        DJANGO_DIR / "contrib" / app.split(".")[2]
        for app in settings.INSTALLED_APPS if app.startswith("django.contrib.")
    ]
    paths = [base / "locale" / language / "LC_MESSAGES" / f"{domain}.po" for base in bases]
    return [p for p in paths if p.exists()]


@dataclass(frozen=True)
class Vocabulary:
    # English msgid (normalised) → its Vietnamese translation, for every translated message.
    translated: dict[str, str]
    english_words: frozenset[str]


@cache
def vocabulary() -> Vocabulary:
    translated: dict[str, str] = {}
    english: set[str] = set()
    vietnamese: set[str] = set()
    catalogues = [OUR_CATALOGUE, THIRD_PARTY_CATALOGUES / "django.po", *django_catalogues("vi")]
    for path in catalogues:
        for entry in po.live(po.read(path)):
            if not entry.translated:
                continue
            target = entry.msgstr[0]
            for text in (entry.msgid, entry.msgid_plural or ""):
                if normalise(text) and normalise(text) != normalise(target):
                    translated.setdefault(normalise(text), target)
                english.update(w.lower() for w in words(text))
            for text in entry.msgstr.values():
                vietnamese.update(w.lower() for w in words(text))
    # One-letter "words" are initials and list markers, not language.
    return Vocabulary(translated, frozenset(w for w in english - vietnamese if len(w) > 1))


@dataclass(frozen=True)
class Finding:
    where: str  # "text", "title", "placeholder", …
    text: str
    why: str


SURVIVOR_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def english_in(text: str, where: str = "text") -> list[Finding]:
    vocab = vocabulary()
    found = []
    plain = normalise(text)
    if not plain:
        return found
    if plain in vocab.translated:
        found.append(Finding(where, plain, f"untranslated message (vi: {vocab.translated[plain]!r})"))
        return found
    # One-letter words ("a", the "Y" of an Ê Đê name) neither make nor break a run. A survivor code is
    # random letters and digits ("C7M7-4WED"): any word in it is chance, not English.
    tokens = [token for token in words(SURVIVOR_CODE.sub(" ", plain)) if len(token) > 1]
    run: list[str] = []
    for token in [*tokens, ""]:
        if token and token.lower() in vocab.english_words:
            run.append(token)
            continue
        if len(run) >= 2 or (len(run) == 1 and len(tokens) == 1):
            found.append(Finding(where, plain, f"English words: {' '.join(run)!r}"))
        run = []
    return found


# --- What a reader sees of a page -------------------------------------------------------------------

_HIDDEN = {"script", "style", "template", "noscript"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_LABEL_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _VisibleText(HTMLParser):
    """Text nodes and the attributes people read, minus what is hidden (scripts, styles, hidden
    inputs) and what is deliberately in another language (``lang="en"``: the language switch)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, str]] = []
        self._skipping: tuple[str, int] | None = None  # (tag, nesting) while inside a skipped element
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if self._skipping:
            if tag == self._skipping[0] and tag not in _VOID:
                self._skipping = (tag, self._skipping[1] + 1)
            return
        language = attributes.get("lang", "vi").lower()
        if tag in _HIDDEN or not language.startswith("vi"):
            if tag not in _VOID:
                self._skipping = (tag, 1)
            return
        self._in_title = tag == "title"
        for name in _LABEL_ATTRIBUTES:
            if attributes.get(name):
                self.pieces.append((name, attributes[name]))
        # An <input> button shows its value; a <button>'s value is sent, not shown (its text is).
        if tag == "input" and attributes.get("type", "").lower() in {"submit", "button", "reset"}:
            self.pieces.append(("value", attributes.get("value", "")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self._skipping and self._skipping[0] == tag and tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping[0]:
                depth = self._skipping[1] - 1
                self._skipping = (tag, depth) if depth else None
            return
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.pieces.append(("title" if self._in_title else "text", data))


def visible_pieces(html: str) -> list[tuple[str, str]]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.pieces


def english_on_page(html: str) -> list[Finding]:
    return [finding for where, text in visible_pieces(html) for finding in english_in(text, where)]
