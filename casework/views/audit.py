"""Placeholder: being written (see casework/urls.py)."""

from django.http import Http404


def access_log(request, **kwargs):
    raise Http404


def survivor_access(request, **kwargs):
    raise Http404


def case_summary_pdf(request, **kwargs):
    raise Http404

