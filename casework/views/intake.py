"""Placeholder: being written (see casework/urls.py)."""

from django.http import Http404


def intake_start(request, **kwargs):
    raise Http404


def intake_step(request, **kwargs):
    raise Http404

