"""No plaintext anywhere: identifying data never reaches the database, the logs, page titles, the access
log, ``str()`` of a record or an error page in clear.

Several cases are built with a canary in EVERY encrypted field (a unique ASCII token, "Kanari…", inside
Vietnamese text, plus phone numbers, ID numbers and dates of birth that occur nowhere else), some are
edited so history rows exist, pages are requested; then every column of every table is read back with raw
SQL and searched, in every form the data could take (as typed, digits only, JSON-escaped, dates in ISO and
Vietnamese order).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import override_settings
from django.urls import URLPattern, reverse

from casework import services
from casework.fields import encrypted_fields
from casework.models import (
    Case,
    CaseAccess,
    CaseNote,
    Consent,
    Incident,
    LivelihoodSupport,
    RiskAssessment,
    SafetyPlan,
    SupportService,
    Survivor,
)
from casework.urls import urlpatterns
from tests.casework.builders import record_incident
from tests.casework.helpers import raw_set
from tests.conftest import Cast, signed_in


def _failing_render(case: Case, **kwargs: Any) -> bytes:
    """Stands in for the PDF renderer in the error-page test: a decrypted name sits in a local variable of
    the frame that raises. It lives up here, away from the canary constants, because Django's technical
    error page quotes the source lines around each frame."""
    name = case.survivor.full_name
    raise RuntimeError(f"render failed for a {len(name)}-letter name")


# The canaries. Text canaries carry a unique ASCII token inside Vietnamese text; phone numbers, ID
# numbers and dates of birth are ones that occur nowhere else in the test data, so finding any of them
# anywhere, in any format, means a leak. Case n lives at address A when n is even, B when it is odd.
# Building, editing and requesting pages is done through the services and the views, as in real use.

TOKEN = "kanari"  # every text canary contains it; searched case-insensitively
PHONES = ["0912 345 671", "0912 345 672", "0912 345 673"]
NATIONAL_IDS = ["079187009871", "079212009872", "079179009873"]
BIRTH_DATES = [dt.date(1987, 2, 13), dt.date(2014, 6, 21), dt.date(1979, 11, 5)]
# The edits made after the cases are built (so history rows hold the old values, sealed).
EDITED_PHONE = "0912 345 679"
EDITED_NAME = "Hờ Thị Kanarirenamed"

# Every encrypted field of the app, and the canary it gets. A new encrypted field without a canary
# fails test_every_encrypted_field_has_a_canary.
CANARY_FIELDS = {
    (Survivor, "full_name"), (Survivor, "other_names"), (Survivor, "date_of_birth"), (Survivor, "phone"),
    (Survivor, "address"), (Survivor, "national_id"), (Survivor, "guardian_contact"),
    (Incident, "narrative"), (Consent, "guardian_name"), (RiskAssessment, "notes"), (SafetyPlan, "plan"),
    (SupportService, "notes"), (LivelihoodSupport, "notes"), (CaseNote, "text"),
}


def text_canaries(n: int) -> dict[str, str]:
    return {
        "full_name": f"Hờ Thị Kanariname{n}",
        "other_names": f"Y Kanariother{n}",
        "address": f"Thôn Kanariaddr{n}, xã Một",
        "guardian_contact": f"Mẹ Kanariguard{n}, 0977 111 22{n}",
        "narrative": f"Anh ta đánh chị ở rẫy Kanarinarr{n} lúc nửa đêm.",
        "guardian_name": f"Bà Kanariconsent{n} (bà ngoại)",
        "risk_notes": f"Hắn có dao, Kanaririsk{n}.",
        "plan": f"Chạy sang nhà Kanarisafety{n}.",
        "service_notes": f"Ở nhờ nhà Kanariservice{n}.",
        "livelihood_notes": f"Nuôi bò ở Kanarilive{n}.",
        "note_text": f"Chị ấy kể về Kanarinote{n}.",
    }


def forbidden_strings() -> list[str]:
    """Everything that must never be found in clear, in every form it could take."""
    found: list[str] = [TOKEN]
    for n in range(len(PHONES)):
        found += text_canaries(n).values()
    for phone in [*PHONES, EDITED_PHONE, *(f"0977 111 22{n}" for n in range(len(PHONES)))]:
        digits = re.sub(r"\D", "", phone)
        found += [phone, digits, digits[1:], f"+84{digits[1:]}", f"84{digits[1:]}",
                  phone.replace(" ", "."), phone.replace(" ", "-")]
    found += NATIONAL_IDS
    for born in BIRTH_DATES:
        found += [born.strftime(f) for f in ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%m-%Y", "%d.%m.%Y")]
    found.append(EDITED_NAME)
    # JSON with ensure_ascii writes "Hờ" as "H\\u1edd".
    found += [json.dumps(s)[1:-1] for s in list(found) if not s.isascii()]
    return sorted(set(found))


FORBIDDEN = forbidden_strings()
FORBIDDEN_LOWER = [s.lower() for s in FORBIDDEN]


def leaks(text: str) -> list[str]:
    """The canaries found in ``text``, also with separators removed (a phone typed as 0912-345-671)."""
    lowered = text.lower()
    squeezed = re.sub(r"[\s.\-()/]", "", lowered)
    return [s for s, low in zip(FORBIDDEN, FORBIDDEN_LOWER, strict=True) if low in lowered
            or (low.isdigit() and len(low) >= 8 and low in squeezed)]


def build_case(cast: Cast, n: int) -> Case:
    """Case n, with a canary in every encrypted field, at address A (n even) or B (n odd)."""
    by = cast.volunteer_a if n % 2 == 0 else cast.volunteer_b
    c = text_canaries(n)
    born = BIRTH_DATES[n]
    case = services.case_open(by=by, opened_on=dt.date.today() - dt.timedelta(days=5), survivor_fields={
        "full_name": c["full_name"], "other_names": c["other_names"], "date_of_birth": born,
        "birth_year": born.year, "sex": "female", "phone": PHONES[n], "address": c["address"],
        "national_id": NATIONAL_IDS[n], "guardian_contact": c["guardian_contact"],
    })
    record_incident(case, by, narrative=c["narrative"])
    services.consent_give(case=case, by=by, scope=Consent.Scope.KEEP_RECORD,
                          given_by=Consent.GivenBy.GUARDIAN, given_on=case.opened_on,
                          guardian_name=c["guardian_name"])
    services.consent_give(case=case, by=by, scope=Consent.Scope.SHARE_POLICE,
                          given_by=Consent.GivenBy.SURVIVOR, given_on=case.opened_on)
    services.risk_assess(case=case, by=by, answers={"weapon": True}, notes=c["risk_notes"])
    services.safety_plan_save(case=case, by=by, version=None, checklist=["bag"], plan=c["plan"])
    services.service_record(case=case, by=by, kind=SupportService.Kind.SHELTER, provided_on=case.opened_on,
                            check_in=case.opened_on, notes=c["service_notes"])
    services.livelihood_record(case=case, by=by, support_type="vocational", programme_model="pilot",
                               beneficiary_group="dv", amount_vnd=0, started_on=case.opened_on,
                               notes=c["livelihood_notes"])
    services.note_add(case=case, by=by, text=c["note_text"])
    return Case.objects.get(pk=case.pk)


def edit_case(case: Case, by: Any, n: int) -> None:
    """Change a value in each editable record, so history rows hold the earlier, sealed values."""
    survivor = Survivor.objects.get(pk=case.survivor_id)
    services.survivor_update(survivor=survivor, by=by, version=survivor.version, full_name=EDITED_NAME,
                             phone=EDITED_PHONE)
    incident = Incident.objects.get(case=case)
    services.incident_update(incident=incident, by=by, version=incident.version, answers=incident.gbv_answers,
                             narrative=incident.narrative + f" Kanariedit{n}.")
    plan = SafetyPlan.objects.get(case=case)
    services.safety_plan_save(case=case, by=by, version=plan.version, checklist=[],
                              plan=plan.plan + " Kanariedit.")
    service = SupportService.objects.get(case=case)
    services.service_update(service=service, by=by, version=service.version,
                            notes=service.notes + " Kanariedit.")
    support = LivelihoodSupport.objects.get(case=case)
    services.livelihood_update(support=support, by=by, version=support.version,
                               notes=support.notes + " Kanariedit.")
    services.consent_withdraw(consent=Consent.objects.get(case=case, scope=Consent.Scope.SHARE_POLICE), by=by)


def casework_urls(case: Case) -> Iterator[str]:
    """Every casework page, addressed at this case and its records."""
    records = {
        "incident-edit": Incident, "consent-withdraw": Consent, "service-edit": SupportService,
        "livelihood-edit": LivelihoodSupport,
    }
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        name, params = pattern.name, set(pattern.pattern.converters)
        if not params:
            yield reverse(f"casework:{name}")
        elif params == {"pk"}:
            yield reverse(f"casework:{name}", kwargs={"pk": case.pk})
        elif params == {"pk", "step"}:
            for step in services.INTAKE_STEPS:
                yield reverse(f"casework:{name}", kwargs={"pk": case.pk, "step": step})
        else:
            record = records[name].objects.filter(case=case).first()
            yield reverse(f"casework:{name}", kwargs={"pk": case.pk, "record_pk": record.pk})


def request_cycle(cast: Cast, cases: list[Case]) -> list[tuple[str, str]]:
    """Open every casework page of each case (as its lead, and case 0 also as a volunteer), post a note
    and a survivor edit through the forms; return the <title> of every HTML page seen."""
    titles = []
    pdf_url = reverse("casework:case-summary-pdf", args=[cases[0].pk])
    for n, case in enumerate(cases):
        at_a = case.trusted_address_id == cast.address_a.pk
        workers = [cast.lead_a if at_a else cast.lead_b] + ([cast.volunteer_a] if n == 0 else [])
        for membership in workers:
            client = signed_in(membership)
            for url in casework_urls(case):
                if url.endswith(".pdf") and url != pdf_url:
                    continue  # one PDF is enough for the logs; each costs a second
                response = client.get(url)
                if response.get("Content-Type", "").startswith("text/html"):
                    match = re.search(r"<title>(.*?)</title>", response.content.decode(), flags=re.S)
                    titles.append((url, match.group(1) if match else ""))
        client = signed_in(workers[0])
        client.post(reverse("casework:note-create", args=[case.pk]), {"text": "Ghi chú mới Kanaripost."})
        survivor = Survivor.objects.get(pk=case.survivor_id)
        client.post(reverse("casework:survivor-edit", args=[case.pk]), {
            "version": survivor.version, "full_name": "Hờ Thị Kanariform", "sex": "female",
            "birth_year": survivor.birth_year, "phone": "0912.345.679", "address": "Kanariformaddr",
            "ethnicity": survivor.ethnicity, "disability": survivor.disability,
        })
    return titles


@pytest.fixture
def sql_logged(caplog):
    """Capture every log record at DEBUG, SQL statements with their parameters included."""
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.db.backends", "django.request", "django.template", "weasyprint"):
        caplog.set_level(logging.DEBUG, logger=name)
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = forced


# --- What is stored -----------------------------------------------------------------------------


def _texts(value: Any) -> Iterator[str]:
    if value is None:
        return
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        yield value.decode("utf-8", errors="ignore")
        yield value.decode("latin-1")
    elif isinstance(value, dict | list):
        yield json.dumps(value, ensure_ascii=False)
        yield json.dumps(value)
    else:
        yield str(value)


def stored_values() -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every value of every column of every table, read with raw SQL.

    Session data is signed and base64-encoded, so it is decoded before it is searched.
    """
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    for text in _texts(value):
                        yield table, column, text
                    if table == "django_session" and column == "session_data":
                        yield table, column, json.dumps(SessionStore().decode(value), ensure_ascii=False)


def database_leaks() -> tuple[list[tuple[str, str, list[str]]], set[str], int]:
    hits, tables, sealed = [], set(), 0
    for table, column, text in stored_values():
        tables.add(table)
        sealed += text.startswith("enc.")
        if found := leaks(text):
            hits.append((table, column, found))
    return hits, tables, sealed


@pytest.mark.django_db(transaction=False)
def test_every_encrypted_field_has_a_canary():
    own = [m for m in apps.get_app_config("casework").get_models() if not hasattr(m, "instance_type")]
    declared = {(model, field.name) for model in own for field in encrypted_fields(model)}
    assert declared == CANARY_FIELDS


def test_nothing_identifying_is_stored_logged_titled_or_named_in_clear(cast, sql_logged):
    """One world for five checks: building it (three cases, their edits, every page) is the slow part."""
    cases = [build_case(cast, n) for n in range(len(PHONES))]
    for n, case in enumerate(cases):
        edit_case(case, cast.lead_a if case.trusted_address_id == cast.address_a.pk else cast.lead_b, n)
    titles = request_cycle(cast, cases)

    check_database()
    check_logs(sql_logged.records)
    check_titles(titles)
    check_access_log_what()
    check_str_of_records()


def check_database() -> None:
    """Every column of every table, history and sessions included, read with raw SQL."""
    hits, tables, sealed = database_leaks()
    assert not hits, f"plaintext found in the database: {hits[:10]}"
    # The scan really looked at the case tables and their history, and saw the sealed values there.
    assert {"casework_survivor", "casework_historicalsurvivor", "casework_historicalincident",
            "casework_caseaccess", "django_session"} <= tables
    assert sealed >= 3 * len(CANARY_FIELDS)


def check_logs(records: list[logging.LogRecord]) -> None:
    """The log output of the whole cycle at DEBUG, every SQL statement with its parameters included:
    the plaintext never even travels to the database."""
    text = "\n".join(logging.Formatter("%(name)s %(levelname)s %(message)s").format(r) for r in records)
    assert len(records) > 100 and "INSERT INTO" in text and "casework_survivor" in text
    assert not leaks(text), leaks(text)


def check_titles(titles: list[tuple[str, str]]) -> None:
    assert len(titles) > 40
    for url, title in titles:
        assert not leaks(title) and "Hờ" not in title, (url, title)


def check_access_log_what() -> None:
    whats = list(CaseAccess.objects.values_list("what", flat=True))
    assert any(whats)
    for what in whats:
        assert not leaks(what), what


def check_str_of_records() -> None:
    """str() and repr() of every casework row and historical row (they reach logs, admin, error pages)."""
    seen = 0
    for model in apps.get_app_config("casework").get_models():
        for obj in model._default_manager.all():
            seen += 1
            assert not leaks(str(obj)), (model.__name__, str(obj))
            assert not leaks(repr(obj)), (model.__name__, repr(obj))
    assert seen > 100


def test_the_scan_finds_a_canary_written_in_clear(cast):
    """The search can fail: plaintext written behind the ORM's back is found."""
    case = build_case(cast, 0)
    raw_set(CaseNote.objects.get(case=case), "text", "lộ ra: Kanarileak 0912-345-671")
    hits, _tables, _sealed = database_leaks()
    assert hits and all(table == "casework_casenote" and column == "text" for table, column, _ in hits)
    assert "0912345671" in hits[0][2]


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_error_page_of_a_casework_url_shows_nothing_identifying(cast, monkeypatch, sql_logged, debug):
    case = build_case(cast, 0)
    monkeypatch.setattr("casework.views.audit.render_case_summary", _failing_render)
    client = signed_in(cast.volunteer_a)
    client.raise_request_exception = False
    with override_settings(DEBUG=debug):
        response = client.get(reverse("casework:case-summary-pdf", args=[case.pk]))
    assert response.status_code == 500
    body = response.content.decode()
    if not debug:
        assert "Lỗi hệ thống" in body and "Traceback" not in body
    else:
        # The technical page (never in production) masks every local, so the name in `name` is hidden.
        assert "render failed" in body and "********" in body
    assert not leaks(body)
    assert not leaks("\n".join(logging.Formatter().format(r) for r in sql_logged.records))
