"""The gate for cases and everything inside them (built on accounts.access)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.shortcuts import get_object_or_404

from accounts.access import Perm, get_object_for
from accounts.models import Membership
from casework.models import Case

M = TypeVar("M", bound=models.Model)


def get_case_for(membership: Membership | None, pk: Any, perm: Perm = Perm.CASE_VIEW) -> Case:
    """The case, if the membership may see it (else 404) and do ``perm`` on it (else 403)."""
    visible = Case.objects.visible_to(membership).select_related("survivor", "trusted_address")
    return get_object_for(membership, perm, visible=visible, pk=pk)


def get_case_record_for(
    membership: Membership | None, model: type[M], *, case_pk: Any, pk: Any, perm: Perm = Perm.CASE_VIEW,
) -> tuple[Case, M]:
    """A record inside a case (incident, consent, service…): the case's gate, then the record must
    belong to that case — a record of another case answers 404 like an invisible one."""
    case = get_case_for(membership, case_pk, perm)
    try:
        record = get_object_or_404(model.objects.filter(case=case), pk=pk)
    except (ValueError, models.ObjectDoesNotExist):
        from django.http import Http404

        raise Http404 from None
    return case, record
