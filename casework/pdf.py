"""PDF documents, rendered by WeasyPrint in a closed world.

A confidential document must not reach outside the server while it is rendered: no network request
(which would tell a third party that a case was printed, and when), no local file other than the
project's static files and the embedded fonts. Every resource WeasyPrint wants — stylesheets, images,
fonts, ``@import`` — goes through :data:`safe_url_fetcher`, which serves:

* ``/static/…`` (as written by ``{% static %}``; the document's base URL makes it ``file:///static/…``),
  resolved through django.contrib.staticfiles to a file and read — never the file system path
  ``/static``;
* the DejaVu Sans files embedded by :func:`render_pdf`'s ``@font-face`` rules, so Vietnamese diacritics
  render the same on every server, whatever fontconfig would pick;
* ``data:`` URLs of raster images (PNG, JPEG, GIF) — e.g. a QR code made in memory;

and refuses everything else (other ``file://`` paths, ``http(s)://``, ``ftp://``…) by stopping the
render. Templates escape user text anyway; the fetcher is the second wall.

Adapters for the outside world, one function per use: :func:`render_pdf` for any app's HTML,
:func:`render_case_summary` for the case summary.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import mimetypes
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

if TYPE_CHECKING:
    from accounts.models import Membership, User
    from casework.models import Case

# Debian's fonts-dejavu-core (listed in the Makefile's runtime packages).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FAMILY = "Document Sans"
# (file, font-weight, font-style) of the faces embedded in every document.
FONT_FACES: tuple[tuple[str, str, str], ...] = (
    ("DejaVuSans.ttf", "normal", "normal"),
    ("DejaVuSans-Bold.ttf", "bold", "normal"),
    ("DejaVuSans-Oblique.ttf", "normal", "italic"),
    ("DejaVuSans-BoldOblique.ttf", "bold", "italic"),
)

# Relative and root-relative URLs in a document resolve against this: "/static/x.css" becomes
# "file:///static/x.css", which the fetcher maps to a static file (and nothing else).
BASE_URL = "file:///"

STATIC_TYPES = {".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ttf", ".woff", ".woff2"}
DATA_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}
MAX_DATA_URL_BYTES = 2 * 1024 * 1024


class RefusedURL(FatalURLFetchingError):
    """A document asked for a resource outside the allow-list; the render stops.

    The message never repeats the URL: it could carry text from the record, and this message can end
    up in a log line or an error report.
    """


class PDFRenderError(Exception):
    """Rendering stopped (a refused resource). An ordinary exception, so Django handles it as a 500.

    (WeasyPrint's fatal fetch error derives from ``BaseException``, which would escape Django's
    request handling.)
    """


def _font_paths() -> dict[Path, str]:
    return {(FONT_DIR / name).resolve(): name for name, _w, _s in FONT_FACES}


def _static_path(name: str) -> Path | None:
    """The file behind a static name, via the staticfiles finders (or the collected, hashed copy)."""
    found = finders.find(name)
    if found:
        return Path(found if isinstance(found, str) else found[0])
    # In production {% static %} yields manifest names (print.1a2b3c.css) that exist only in STATIC_ROOT.
    try:
        collected = Path(staticfiles_storage.path(name))
    except (NotImplementedError, SuspiciousFileOperation):
        return None
    return collected if collected.is_file() else None


class SafeURLFetcher(URLFetcher):
    """WeasyPrint's fetcher, reduced to the static files, the embedded fonts and ``data:`` images.

    Everything refused raises :class:`RefusedURL`, which stops the render instead of leaving a gap in
    the document (and a log line naming the URL).
    """

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            parts = urlsplit(url)
        except ValueError:
            raise RefusedURL("Refused a malformed URL.") from None
        scheme = parts.scheme.lower()
        if scheme == "data":
            return self._data_image(url)
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = unquote(parts.path)
            static_prefix = urlsplit(settings.STATIC_URL).path
            if static_prefix.startswith("/") and path.startswith(static_prefix):
                return self._static(url, path[len(static_prefix):])
            return self._font(url, path)
        raise RefusedURL(f"Refused a {scheme or 'schemeless'} URL: documents may load only static files, "
                         "the embedded fonts and data: images.")

    def _static(self, url: str, name: str) -> URLFetcherResponse:
        normalised = posixpath.normpath(name)
        if (not name or "\x00" in name or name.startswith("/") or normalised.startswith("..")
                or normalised != name.rstrip("/")):
            raise RefusedURL("Refused a static path that leaves the static files.")
        suffix = Path(normalised).suffix.lower()
        if suffix not in STATIC_TYPES:
            raise RefusedURL(f"Refused a static file of type {suffix or 'none'}.")
        found = _static_path(normalised)
        if found is None:
            raise RefusedURL("A static file the document needs was not found.")
        if suffix == ".css":
            headers = {"Content-Type": "text/css; charset=utf-8"}
        else:
            headers = {"Content-Type": mimetypes.guess_type(found.name)[0] or "application/octet-stream"}
        return URLFetcherResponse(url, body=found.read_bytes(), headers=headers)

    def _font(self, url: str, path: str) -> URLFetcherResponse:
        try:
            resolved = Path(path).resolve()
        except (OSError, ValueError):
            raise RefusedURL("Refused a local file.") from None
        if resolved not in _font_paths() or not resolved.is_file():
            raise RefusedURL("Refused a local file that is not one of the embedded fonts.")
        return URLFetcherResponse(url, body=resolved.read_bytes(), headers={"Content-Type": "font/ttf"})

    def _data_image(self, url: str) -> URLFetcherResponse:
        header, comma, payload = url[len("data:"):].partition(",")
        params = [p.strip().lower() for p in header.split(";")]
        mime = params[0]
        if not comma or mime not in DATA_IMAGE_TYPES:
            raise RefusedURL("Refused a data: URL that is not a PNG, JPEG or GIF image.")
        try:
            body = (base64.b64decode(unquote(payload), validate=True) if "base64" in params[1:]
                    else unquote_to_bytes(payload))
        except (binascii.Error, ValueError):
            raise RefusedURL("Refused a malformed data: URL.") from None
        if len(body) > MAX_DATA_URL_BYTES:
            raise RefusedURL("Refused a data: image larger than 2 MB.")
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})


# fail_on_errors: an unexpected error while reading an allowed file stops the render too (a document with
# a silently missing stylesheet or font could print unreadably). The fetcher holds no per-request state.
safe_url_fetcher = SafeURLFetcher(fail_on_errors=True)


def font_face_css() -> str:
    """``@font-face`` rules embedding DejaVu Sans, and the document font.

    Missing files are skipped (a development machine without fonts-dejavu-core falls back to
    fontconfig's "DejaVu Sans", then any sans-serif font).
    """
    rules = [
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{(FONT_DIR / name).as_uri()}"); }}'
        for name, weight, style in FONT_FACES if (FONT_DIR / name).is_file()
    ]
    rules.append(f'html {{ font-family: "{FONT_FAMILY}", "DejaVu Sans", sans-serif; }}')
    return "\n".join(rules)


def render_pdf(html: str) -> bytes:
    """Render an HTML document (from a project template) to PDF, with the safe fetcher and fonts.

    Root-relative URLs (``{% static %}``) resolve to the project's static files. Raises
    :class:`PDFRenderError` when the document asks for anything else.
    """
    fonts = FontConfiguration()
    try:
        base = CSS(string=font_face_css(), base_url=BASE_URL, url_fetcher=safe_url_fetcher, font_config=fonts)
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=safe_url_fetcher)
        return document.write_pdf(stylesheets=[base], font_config=fonts)
    except FatalURLFetchingError as exc:
        # Our own refusals carry no URL; WeasyPrint's generic fatal error would, so it is not chained.
        if isinstance(exc, RefusedURL):
            raise PDFRenderError(str(exc)) from None
        raise PDFRenderError("A resource of the document could not be loaded.") from None


# --- The case summary -------------------------------------------------------------------------


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _display(obj: Any, name: str) -> str:
    """One field of a record as printed text ("" when empty)."""
    field = obj._meta.get_field(name)
    value = getattr(obj, f"get_{name}_display")() if field.choices else getattr(obj, name)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int) and name.startswith("amount"):
        return f"{value:,}".replace(",", ".") + " ₫"
    return str(value)


def _facts(obj: Any, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, value) rows, labelled with the fields' own (translated) names."""
    return [(capfirst(obj._meta.get_field(name).verbose_name), _display(obj, name)) for name in names]


SURVIVOR_FIELDS = ("full_name", "other_names", "date_of_birth", "birth_year", "sex", "ethnicity",
                   "disability", "phone", "address", "national_id", "guardian_contact", "commune")
CASE_FIELDS = ("status", "opened_on", "closed_on", "closure_reason", "trusted_address", "risk_level",
               "age_band", "support_plan_due_on", "support_plan_done_on")
INCIDENT_FIELDS = ("occurred_on", "place_type", "gbv_type", "perpetrator_relationship", "perpetrator_sex",
                   "perpetrator_age", "previously_reported", "first_reported_on")
INCIDENT_FLAGS = ("domestic_violence", "intimate_partner", "trafficking", "child_marriage",
                  "consanguineous_marriage", "child_sexual_abuse")
CONSENT_FIELDS = ("scope", "given_by", "guardian_name", "given_on", "withdrawn_on")
SERVICE_FIELDS = ("kind", "provided_on", "provider", "check_in", "check_out", "nights", "amount_vnd")
LIVELIHOOD_FIELDS = ("support_type", "programme_model", "model_name", "beneficiary_group", "amount_vnd",
                     "started_on", "ended_on", "outcome", "followed_up_on")


def case_summary_context(
    case: Case, *, printed_by: Membership, printed_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Everything the case summary shows, read here (the template does no queries of its own)."""
    from casework import risk
    from casework.models import Consent, Incident, SafetyPlan

    survivor = case.survivor
    questions = {key: question for key, question, _weight in risk.QUESTIONS}
    incidents = []
    for incident in case.incidents.all():
        marks = [*incident.legal_harms,
                 *(str(Incident._meta.get_field(name).verbose_name) for name in INCIDENT_FLAGS
                   if getattr(incident, name))]
        incidents.append({"facts": _facts(incident, INCIDENT_FIELDS), "marks": marks,
                          "text": incident.narrative})
    risk_assessments = [
        {
            "record": assessment,
            "assessor": display_name(assessment.assessor.user),
            "yes": [questions[key] for key in risk.ANSWER_KEYS if assessment.answers.get(key)],
            "text": assessment.notes,
        }
        for assessment in case.risk_assessments.select_related("assessor__user")
    ]
    safety_plan = SafetyPlan.objects.filter(case=case).select_related("updated_by__user").first()
    return {
        "case": case,
        "code": survivor.code,
        "survivor_facts": _facts(survivor, SURVIVOR_FIELDS),
        "case_facts": _facts(case, CASE_FIELDS),
        "volunteers": [display_name(m.user) for m in case.assigned_volunteers.select_related("user")],
        "incidents": incidents,
        "consent_labels": [capfirst(Consent._meta.get_field(name).verbose_name) for name in CONSENT_FIELDS],
        "consents": [[_display(c, name) for name in CONSENT_FIELDS] for c in case.consents.all()],
        "risk_assessments": risk_assessments,
        "safety_plan": safety_plan,
        "safety_items": ([SafetyPlan.Item(item).label for item in safety_plan.checklist
                          if item in SafetyPlan.Item.values] if safety_plan else []),
        "services": [{"facts": _facts(s, SERVICE_FIELDS), "text": s.notes}
                     for s in case.services.select_related("provider")],
        "livelihood": [{"facts": _facts(s, LIVELIHOOD_FIELDS), "text": s.notes}
                       for s in case.livelihood_supports.all()],
        "notes": [{"at": _display(n, "created_at"), "author": display_name(n.author.user), "text": n.text}
                  for n in case.notes.select_related("author__user")],
        "printed_at": timezone.localtime(printed_at or timezone.now()),
        "printed_by": display_name(printed_by.user),
        "printed_by_membership": printed_by,
    }


def render_case_summary(
    case: Case, *, printed_by: Membership, printed_at: dt.datetime | None = None,
) -> bytes:
    """The case summary as a PDF: the whole record, with who printed it and when.

    The caller has passed the gate and records the access (``CaseAccess.Action.PRINT_SUMMARY``).
    """
    html = render_to_string(
        "casework/pdf/case_summary.html",
        case_summary_context(case, printed_by=printed_by, printed_at=printed_at),
    )
    return render_pdf(html)
