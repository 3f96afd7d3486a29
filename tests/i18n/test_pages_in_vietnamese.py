"""Every page of every role, rendered in Vietnamese with real data, shows no English interface text.

The pages come from the URL map and the access matrix (whose rows know the ids of real objects), so a
view added later is checked without anyone editing this file. Each role opens every page its row lists —
the pages it may see and the refusals (403, 404, 409…) it gets — then sends each of its own forms back
empty, so that the error messages are checked too. The error pages (CSRF, 400, 500) and the lockout page
follow, and the documents (PDF, CSV, XLSX) are read back as text.

What counts as English is decided from the catalogues (tests/i18n/english.py). The data are Vietnamese
(names of people, places, organisations and the users' own usernames), so whatever English is found
comes from the interface.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views import defaults

from accounts import services as accounts_services
from accounts.models import Membership, Organisation, Role
from accounts.views import lockout
from casework import services as casework_services
from casework.models import Case
from referrals import services as referral_services
from referrals.models import Action
from tests.access import FORBIDDEN, NOT_FOUND, REDIRECT, ROLES, Row
from tests.accounts.urlmap import all_sample_urls
from tests.casework.builders import case_a, case_b, open_case
from tests.conftest import Cast, signed_in
from tests.i18n.english import Finding, english_in, english_on_page, normalise
from tests.indicators.builders import plan_target, three_rapes
from tests.referrals.builders import draft, partner_profile, referral_a, referral_b
from tests.test_access_matrix import ALL_ROWS

# Usernames people would really have: the standing cast's "police" and "supervisor" are English words.
VIETNAMESE_USERNAMES = {
    "volunteer_a": "hoa.tnv", "lead_a": "lan.cn", "volunteer_b": "thu.tnv", "lead_b": "binh.cn",
    "police_officer": "cuong.ca", "health_officer": "mai.yt", "supervisor": "hanh.hlhpn",
    "analyst": "dung.pt", "sysadmin": "quang.qt",
}
# These pages report the visits of all the others (the access log, "who saw my file"): they come last.
LOG_PAGES = {"casework:access-log", "casework:survivor-access"}
# POSTs that would end the visit rather than show a page.
LEAVING = {"accounts:logout", "set_language"}
_FORM = re.compile(r"<form\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')


def _rename(cast: Cast) -> None:
    for attribute, username in VIETNAMESE_USERNAMES.items():
        user = getattr(cast, attribute).user
        user.username = username
        user.save(update_fields=["username"])


def _build(cast: Cast) -> None:
    """A case with every kind of record (and a child's, and a closed one), referrals in several states
    with events, notifications, partner directory, plan targets, indicator data, and admin history."""
    _rename(cast)
    case_a(cast)
    case_b(cast)
    today = timezone.localdate()
    open_case(cast.volunteer_a, full_name="Y Bé Na", birth_year=today.year - 10)  # a child: the support plan
    closed = open_case(cast.volunteer_a, full_name="Vừ Thị Già", birth_year=1960)
    casework_services.case_close(case=closed, by=cast.lead_a, reason=Case.ClosureReason.SAFE)
    referral = referral_a(cast)
    referral_services.referral_act(referral=referral, action=Action.ACCEPT, by=cast.police_officer)
    referral_services.referral_note_add(referral=referral, by=cast.police_officer, note="Đã gặp chị ấy.")
    draft(cast)
    referral_b(cast)
    partner_profile(cast)
    plan_target(cast)
    three_rapes(cast)
    # An organisation changed once: its history shows a change, not only a creation.
    accounts_services.organisation_update(organisation=cast.address_a, by=cast.sysadmin.user,
                                          programme_status=Organisation.ProgrammeStatus.CONSOLIDATED)
    # A second membership for the volunteer, so that choosing one is a real choice.
    accounts_services.membership_grant(user=cast.lead_a.user, organisation=cast.address_b, role=Role.VOLUNTEER,
                                       by=cast.sysadmin.user)


def _url(row: Row, cast: Cast, membership: Membership | None) -> str:
    kwargs = row.kwargs(cast, membership) if row.kwargs else {}
    args = kwargs.pop("_args", None)
    return reverse(row.url_name, args=args) if args else reverse(row.url_name, kwargs=kwargs)


def _own_forms(html: str, path: str) -> bool:
    """Whether the page has a POST form that sends to the page itself (an empty action or the same path)."""
    for tag in _FORM.findall(html):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get("method", "get").lower() == "post" and attributes.get("action", "") in ("", path):
            return True
    return False


def _deliberately_english() -> set[str]:
    """The indicators' English names, which the statistics downloads print beside the Vietnamese on
    purpose (the pages mark them lang="en"; see indicators/catalogue.py)."""
    from indicators.catalogue import INDICATORS

    return {normalise(indicator.name_en) for indicator in INDICATORS}


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    # A fixed poppler tool (installed by `make test`) on a file this test wrote.
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],  # noqa: S603,S607
                          capture_output=True, check=True, text=True).stdout
    # One text: a name wrapped over two lines is still found, and removed if it is meant to be English.
    text = " ".join(text.split())
    for name in sorted(_deliberately_english(), key=len, reverse=True):
        text = text.replace(name, " · ")
    return text


def _document_findings(response, tmp_path: Path) -> list[Finding]:  # type: ignore[no-untyped-def]
    kind = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "html" in kind:
        return english_on_page(body.decode())
    if kind.startswith("application/pdf"):
        return english_in(_pdf_text(body, tmp_path), "pdf")
    if kind.startswith("text/csv"):
        cells = [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    elif "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        cells = [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                 for cell in row if isinstance(cell, str)]
    else:
        return []  # JSON for DHIS2, JavaScript: machine formats of codes, not text to read
    english = _deliberately_english()
    return [finding for cell in cells if normalise(cell) not in english for finding in english_in(cell, "cell")]


@dataclass(frozen=True)
class Visit:
    name: str  # the URL name (or pattern)
    role: str
    client: Client
    method: str
    url: str
    data: dict[str, object]
    expected: int | None  # the status the access matrix expects; None for unnamed patterns

    @property
    def label(self) -> str:
        return f"{self.name} as {self.role}"


def _visits(cast: Cast) -> Iterator[Visit]:
    """Every page of every role, the log pages last."""
    members = cast.by_role()
    clients = {role: signed_in(members[role]) if role in members else Client() for role in ROLES}
    rows = sorted(ALL_ROWS, key=lambda row: row.url_name in LOG_PAGES)
    named = {row.url_name for row in rows}
    for row in rows:
        for role in ROLES:
            if row.expect[role] == REDIRECT or row.url_name in LEAVING:
                continue  # nothing rendered: the page redirected to is visited on its own row
            yield Visit(row.url_name, role, clients[role], row.method, _url(row, cast, members.get(role)),
                        row.data, row.expect[role])
    for sample in all_sample_urls():
        if sample.name not in named:  # patterns without a name (the admin's catch-all)
            for role in ROLES:
                yield Visit(sample.name, role, clients[role], "get", sample.path, {}, None)


def _error_pages(cast: Cast) -> Iterator[tuple[str, list[Finding]]]:
    note_url = reverse("casework:note-create", kwargs={"pk": case_a(cast).pk})
    refusing = Client(enforce_csrf_checks=True)
    refusing.force_login(cast.volunteer_a.user)
    response = refusing.post(note_url, {"text": "Chị ấy đã về."})
    assert response.status_code == 403
    yield "CSRF failure (signed in)", english_on_page(response.content.decode())
    response = Client(enforce_csrf_checks=True).post(reverse("accounts:login"), {"username": "hoa.tnv"})
    assert response.status_code == 403
    yield "CSRF failure (signed out)", english_on_page(response.content.decode())
    too_many = {f"field{i}": "x" for i in range(500)}
    response = signed_in(cast.volunteer_a).post(note_url, too_many)
    assert response.status_code == 400
    yield "400: too many fields", english_on_page(response.content.decode())
    request = RequestFactory().get("/")
    yield "500", english_on_page(defaults.server_error(request).content.decode())
    request = RequestFactory().get(reverse("accounts:login"))
    request.user = cast.volunteer_a.user
    yield "lockout", english_on_page(lockout(request).content.decode())


def test_every_page_of_every_role_is_in_vietnamese(cast, tmp_path, settings):
    # Reports are built once and shared by the dashboard and the downloads, as in production.
    settings.INDICATORS_CACHE_SECONDS = 900
    cache.clear()
    _build(cast)
    found: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    refusals: set[tuple[str, int | None]] = set()
    documents: set[str] = set()
    visited: set[str] = set()
    for visit in _visits(cast):
        # Every refusal of a role is the same 403 or 404 page, and a document differs little by role:
        # each is read once, which keeps the test quick.
        if visit.expected in (FORBIDDEN, NOT_FOUND):
            if (visit.role, visit.expected) in refusals:
                continue
            refusals.add((visit.role, visit.expected))
        if visit.name in documents:
            continue
        response = visit.client.post(visit.url, visit.data) if visit.method == "post" else visit.client.get(visit.url)
        visited.add(visit.name)
        for finding in _document_findings(response, tmp_path):
            found[(finding.where, finding.text, finding.why)].append(f"{visit.label} ({response.status_code})")
        if "html" not in response.get("Content-Type", ""):
            documents.add(visit.name)
        elif visit.method == "get" and response.status_code == 200 and _own_forms(response.content.decode(), visit.url):
            # The same form sent back empty: its error messages must be Vietnamese too.
            sent = visit.client.post(visit.url, {})
            if "html" in sent.get("Content-Type", ""):
                for finding in english_on_page(sent.content.decode()):
                    found[(finding.where, finding.text, finding.why)].append(f"{visit.label}, sent empty")
    for label, findings in _error_pages(cast):
        for finding in findings:
            found[(finding.where, finding.text, finding.why)].append(label)
    cache.clear()

    # A guard against an empty URL map: the named pages of every app were opened.
    assert {name.split(":")[0] for name in visited} >= {"admin", "accounts", "casework", "referrals", "indicators"}
    report = "\n".join(f"{where}: {text[:200]!r} — {why}\n    on {', '.join(pages[:5])}{' …' if len(pages) > 5 else ''}"
                       for (where, text, why), pages in sorted(found.items()))
    assert not found, f"English on Vietnamese pages:\n{report}"


def test_the_data_on_the_pages_is_vietnamese(cast):
    """Usernames and organisation names are shown on pages as data: none of them may read as English,
    or the page test would blame the interface for them (or, worse, learn to ignore English)."""
    _rename(cast)
    for membership in cast.by_role().values():
        membership.user.refresh_from_db()
        assert not english_in(membership.user.username), membership.user.username
        assert not english_in(membership.organisation.name), membership.organisation.name
