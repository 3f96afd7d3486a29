"""Where typed text must never go: helpers for the tests that look for it in URLs and log lines.

A name typed into a search box ends up in the phone's history, in access logs and in error reports
once it is part of a URL, so a page may carry only URLs whose query values the application vetted
itself (a whole survivor code, a filter choice, a page number), and a log line may carry nothing
typed at all — not as typed, not upper-cased, not without its accents, not hyphenated like a code.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

from casework.forms_lifecycle import RISK_NOT_ASSESSED
from casework.models import SURVIVOR_CODE_RE, Case
from casework.risk import RiskLevel
from casework.services import INTAKE_STEPS
from tests.casework.vietnamese_names import without_diacritics


def _iso_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# Every query parameter a page of this application may put into a link, and the values it may hold.
VETTED: dict[str, Callable[[str], bool]] = {
    "q": lambda v: SURVIVOR_CODE_RE.fullmatch(v) is not None,
    "status": lambda v: v in Case.Status.values,
    "risk": lambda v: v in (*RiskLevel.values, RISK_NOT_ASSESSED),
    "open_tasks": lambda v: v == "1",
    "opened_from": _iso_date,
    "opened_to": _iso_date,
    "page": str.isdigit,
    "tab": lambda v: v in ("open", "closed"),
}


class _UrlCollector(HTMLParser):
    """Every URL in a page: links, form actions, sources, and the language switch's ``next``."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "action", "src", "formaction"):
            if found.get(name) is not None:
                self.urls.append(found[name] or "")
        if tag == "input" and found.get("name") == "next":
            self.urls.append(found.get("value") or "")


def urls_in(html: str) -> list[str]:
    collector = _UrlCollector()
    collector.feed(html)
    return collector.urls


def unvetted(url: str) -> list[str]:
    """What in ``url`` the application did not vet: unknown or ill-formed query values, a path that is
    not one of the application's own with ids and step names in it (``next`` is checked as a URL)."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or (not parts.path and not parts.query):
        return []  # tel:, data:, a fragment
    problems = []
    if parts.path and not parts.path.startswith(settings.STATIC_URL):
        try:
            match = resolve(parts.path)
        except Resolver404:
            problems.append(f"path {parts.path!r}")
        else:
            problems += [f"path part {value!r}" for value in match.kwargs.values()
                         if not isinstance(value, uuid.UUID | int) and value not in INTAKE_STEPS]
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "next":
            problems += unvetted(value)
        elif key not in VETTED or not VETTED[key](value):
            problems.append(f"{key}={value!r}")
    return problems


def _shapes(typed: str) -> set[str]:
    """The typed text as it could show up: as typed, upper-cased, without accents, run together, and
    hyphenated after four characters the way the old code search did."""
    plain = " ".join(without_diacritics(typed).upper().split())
    compact = re.sub(r"[^A-Z0-9]", "", plain)
    shapes = {plain, compact}
    if 5 <= len(compact) <= 8:
        shapes.add(f"{compact[:4]}-{compact[4:]}")
    return {shape for shape in shapes if len(shape) >= 2}


def carries(text: str, typed: str) -> bool:
    """Does ``text`` carry ``typed`` in any of its shapes, as a whole word?"""
    haystack = without_diacritics(text).upper()
    return any(re.search(rf"(?<![A-Z0-9]){re.escape(shape)}(?![A-Z0-9])", haystack) for shape in _shapes(typed))


def record_text(record: logging.LogRecord) -> str:
    """All a handler could write for ``record``: the message and any exception text."""
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


@contextmanager
def capture_every_logger(handler: logging.Handler) -> Iterator[None]:
    """Send every logger's records, down to DEBUG, to ``handler`` — including loggers that do not
    propagate to the root (``django.server``, the runserver access log)."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    levels = [(logger, logger.level) for logger in loggers]
    isolated = [logger for logger in loggers[1:] if not logger.propagate]
    handler.setLevel(logging.DEBUG)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    for logger in isolated:
        logger.addHandler(handler)
    if handler not in logging.getLogger().handlers:
        logging.getLogger().addHandler(handler)
        isolated.append(logging.getLogger())
    try:
        yield
    finally:
        for logger in isolated:
            logger.removeHandler(handler)
        for logger, level in levels:
            logger.setLevel(level)
