"""Placeholder: being written (see casework/urls.py)."""

from django.http import Http404


def survivor_edit(request, **kwargs):
    raise Http404


def incident_create(request, **kwargs):
    raise Http404


def incident_edit(request, **kwargs):
    raise Http404


def consent_create(request, **kwargs):
    raise Http404


def consent_withdraw(request, **kwargs):
    raise Http404


def risk_create(request, **kwargs):
    raise Http404


def safety_plan_edit(request, **kwargs):
    raise Http404


def service_create(request, **kwargs):
    raise Http404


def service_edit(request, **kwargs):
    raise Http404


def livelihood_create(request, **kwargs):
    raise Http404


def livelihood_edit(request, **kwargs):
    raise Http404


def note_create(request, **kwargs):
    raise Http404

