"""Placeholder: being written (see casework/urls.py)."""

from django.http import Http404


def case_list(request, **kwargs):
    raise Http404


def supervision_list(request, **kwargs):
    raise Http404


def case_detail(request, **kwargs):
    raise Http404


def case_close(request, **kwargs):
    raise Http404


def case_reopen(request, **kwargs):
    raise Http404


def case_assign(request, **kwargs):
    raise Http404


def support_plan_done(request, **kwargs):
    raise Http404

