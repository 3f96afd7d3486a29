"""The indicators dashboard and its downloads.

Every view: the role gate (``Perm.INDICATORS_VIEW``; 403 for any other role), then the report picker
(an area inside the member's own, a released period; anything else is answered 400 with the reason next
to the field), then one :class:`~indicators.report.Report`, read from the period's release, that every
output renders. Nothing here counts records, and nothing links to a case, a survivor or a trusted
address's own figures.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Perm, requires
from accounts.requests import MemberRequest
from indicators import dhis2, exports, periods
from indicators.forms import ReportForm
from indicators.report import Report, get_report


def _form(request: MemberRequest, data: object) -> ReportForm:
    return ReportForm(data, membership=request.membership)


def _picked(request: MemberRequest, data: object) -> tuple[ReportForm, Report | None]:
    form = _form(request, data)
    if not form.is_valid():
        return form, None
    return form, get_report(form.cleaned_data["area"], form.cleaned_data["period"])


def _refused(request: MemberRequest, form: ReportForm) -> HttpResponse:
    return render(request, "indicators/dashboard.html", {"form": form}, status=400)


def _attachment(content: bytes, content_type: str, report: Report, suffix: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    name = f"chi-so-du-an-8-{report.area_key}-{report.period.code}.{suffix}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires(Perm.INDICATORS_VIEW)
@require_GET
def dashboard(request: MemberRequest) -> HttpResponse:
    form = _form(request, request.GET)
    if form.nothing_released and not request.GET.get("period"):
        # Before the first release: say so, with when figures come out, instead of refusing a choice.
        context = {"form": form, "nothing_released": True, "lag_days": periods.release_lag_days()}
        return render(request, "indicators/dashboard.html", context)
    if not form.is_valid():
        return _refused(request, form)
    report = get_report(form.cleaned_data["area"], form.cleaned_data["period"])
    context = {
        "form": form,
        "query": form.query(),
        "dhis2_configured": dhis2.configured(),
        **exports.report_context(report),
    }
    return render(request, "indicators/dashboard.html", context)


def _download(
    render_bytes: Callable[[Report], bytes],
    content_type: str,
    suffix: str,
    *,
    language: str | None = None,
) -> Callable[[MemberRequest], HttpResponse]:
    @requires(Perm.INDICATORS_VIEW)
    @require_GET
    def view(request: MemberRequest) -> HttpResponse:
        form = _form(request, request.GET)
        if not form.is_valid():
            return _refused(request, form)
        # The PDF is the union's periodic report, written in Vietnamese whatever the reader's language.
        with translation.override(language or translation.get_language()):
            report = get_report(form.cleaned_data["area"], form.cleaned_data["period"])
            content = render_bytes(report)
        return _attachment(content, content_type, report, suffix)

    view.__name__ = view.__qualname__ = f"download_{suffix}"
    return view


download_csv = _download(exports.to_csv, "text/csv; charset=utf-8", "csv")
download_xlsx = _download(
    exports.to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
)
download_pdf = _download(exports.to_pdf, "application/pdf", "pdf", language="vi")


@requires(Perm.INDICATORS_VIEW)
@require_GET
def download_dhis2(request: MemberRequest) -> HttpResponse:
    form, report = _picked(request, request.GET)
    if report is None:
        return _refused(request, form)
    try:
        content = dhis2.payload_json(report)
    except dhis2.Dhis2Error as exc:
        form.add_error("period", str(exc))
        return _refused(request, form)
    return _attachment(content, "application/json", report, "dhis2.json")


@requires(Perm.INDICATORS_VIEW)
@require_POST
def dhis2_push(request: MemberRequest) -> HttpResponse:
    """Send the report to DHIS2: always a dry run first; the real import only when asked for and only
    if the dry run found nothing to refuse."""
    form, report = _picked(request, request.POST)
    if report is None:
        return _refused(request, form)
    summaries: list[dhis2.ImportSummary] = []
    context: dict[str, object] = {
        "report": report,
        "form": form,
        "query": form.query(),
        "summaries": summaries,
    }
    try:
        data = dhis2.payload(report)
        context["values"] = len(data["dataValues"])
        dry_run = dhis2.push(data, dry_run=True)
        summaries.append(dry_run)
        if request.POST.get("mode") == "import":
            if dry_run.ok:
                summaries.append(dhis2.push(data, dry_run=False))
            else:
                context["error"] = _(
                    "The dry run found problems, so nothing was imported. Fix them in DHIS2 "
                    "or in the code mapping, then try again."
                )
    except dhis2.Dhis2Error as exc:
        context["error"] = str(exc)
        return render(request, "indicators/dhis2_result.html", context, status=409)
    return render(request, "indicators/dhis2_result.html", context)
