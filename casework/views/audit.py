"""Who read a case, and the printed case summary.

* ``access_log``: the lead's view of every read of one case (CaseAccess), newest first.
* ``survivor_access``: "who saw my file" — the reads of all of the survivor's cases that this trusted
  address can see, in plain sentences to read out or print for her. Cases she has at *other* trusted
  addresses are outside this address's scope, so their reads are not listed (the page says so).
* ``case_summary_pdf``: the whole record as a PDF; the printing itself is recorded.

The two log pages show no identifying data (code, dates, organisations, roles only), so opening them is
not itself recorded as a read of the case.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_stubs_ext import StrOrPromise

from accounts.access import Perm
from accounts.models import Role
from accounts.requests import MemberRequest
from casework import services
from casework.access import case_view
from casework.models import Case, CaseAccess
from casework.pdf import display_name, render_case_summary

ACCESS_LOG_PAGE_SIZE = 50
# Long enough that one page is normally her whole history, short enough to print.
SURVIVOR_ACCESS_PAGE_SIZE = 200

# What each kind of read did, as the end of a sentence to a survivor. Full sentences per action (not
# glued fragments) so each language can order the words its own way.
ACCESS_SENTENCES: dict[str, StrOrPromise] = {
    CaseAccess.Action.VIEW_CASE:
        gettext_lazy("On %(date)s at %(time)s, %(who)s opened the file."),
    CaseAccess.Action.EDIT:
        gettext_lazy("On %(date)s at %(time)s, %(who)s opened the file to update it."),
    CaseAccess.Action.PRINT_SUMMARY:
        gettext_lazy("On %(date)s at %(time)s, %(who)s printed a summary of the file."),
    CaseAccess.Action.EXPORT:
        gettext_lazy("On %(date)s at %(time)s, %(who)s exported information from the file."),
    CaseAccess.Action.VIEW_REFERRAL:
        gettext_lazy("On %(date)s at %(time)s, %(who)s opened the referral information."),
    CaseAccess.Action.PRINT_REFERRAL:
        gettext_lazy("On %(date)s at %(time)s, %(who)s printed the referral slip."),
}
UNKNOWN_ACTION_SENTENCE = gettext_lazy("On %(date)s at %(time)s, %(who)s looked at the file.")

# Who, by role and organisation — not by the worker's name, which means little to her and is
# the worker's own personal data.
WHO_BY_ROLE: dict[str, StrOrPromise] = {
    Role.VOLUNTEER: gettext_lazy("a volunteer of %(organisation)s"),
    Role.LEAD: gettext_lazy("the person in charge of %(organisation)s"),
    Role.PARTNER_OFFICER: gettext_lazy("an officer of %(organisation)s"),
}
WHO_OTHER = gettext_lazy("a member of %(organisation)s")


def _page(request: MemberRequest, rows: Any, size: int) -> Page[Any]:
    return Paginator(rows, size).get_page(request.GET.get("page"))


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def access_sentence(access: CaseAccess) -> str:
    """One read, as a sentence she can understand ("On 12/10/2026 at 14:05, an officer of … opened …")."""
    at = timezone.localtime(access.at)
    who = WHO_BY_ROLE.get(access.role, WHO_OTHER) % {"organisation": access.organisation.name}
    sentence = ACCESS_SENTENCES.get(access.action, UNKNOWN_ACTION_SENTENCE)
    return str(sentence) % {"date": at.strftime("%d/%m/%Y"), "time": at.strftime("%H:%M"), "who": who}


@case_view(Perm.CASE_VIEW_ACCESS_LOG)
def access_log(request: MemberRequest, case: Case) -> HttpResponse:
    accesses = case.accesses.select_related("user", "organisation").order_by("-at", "-pk")
    page = _page(request, accesses, ACCESS_LOG_PAGE_SIZE)
    rows = [
        {
            "at": access.at,
            "who": display_name(access.user),
            "organisation": access.organisation.name,
            "role": _role_label(access.role),
            "action": access.get_action_display(),
            # Stored as the English message (see CaseAccess.what), shown in the reader's language;
            # older rows that hold a translated text are shown as they are.
            "what": _(access.what) if access.what else "",
        }
        for access in page
    ]
    return render(request, "casework/access_log.html", {"case": case, "page": page, "rows": rows})


@case_view(Perm.CASE_VIEW_ACCESS_LOG)
def survivor_access(request: MemberRequest, case: Case) -> HttpResponse:
    accesses = (
        CaseAccess.objects.for_survivor(case.survivor)
        .filter(case__in=Case.objects.visible_to(request.membership))
        .select_related("organisation")
        .order_by("-at", "-pk")
    )
    page = _page(request, accesses, SURVIVOR_ACCESS_PAGE_SIZE)
    return render(request, "casework/survivor_access.html", {
        "case": case,
        "page": page,
        "sentences": [access_sentence(access) for access in page],
        "made_at": timezone.localtime(),
    })


@case_view(Perm.CASE_VIEW)
def case_summary_pdf(request: MemberRequest, case: Case) -> HttpResponse:
    pdf = render_case_summary(case, printed_by=request.membership)
    services.access_record(case=case, by=request.membership, action=CaseAccess.Action.PRINT_SUMMARY,
                           what=gettext_noop("case summary (PDF)"))
    response = HttpResponse(pdf, content_type="application/pdf")
    # The code only: file names end up in download folders and browser histories.
    response["Content-Disposition"] = f'attachment; filename="ho-so-{case.survivor.code}.pdf"'
    return response
