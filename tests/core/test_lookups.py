"""core/lookups.py: an id beyond its integer column's range matches no row, in every lookup, on every
database — instead of an OverflowError on SQLite (a 500) and a numeric comparison on PostgreSQL.

Run on SQLite and on PostgreSQL (DATABASE_URL=postgres://…).
"""

from __future__ import annotations

import pytest
from django.db import connection, models

from accounts.models import AdminUnit, Membership, Organisation, User
from core import lookups
from referrals.models import PartnerProfile
from tests.referrals.builders import partner_profile

HUGE = 99999999999999999999  # beyond 64 bits, as typed into a form or an address


def test_the_range_aware_lookups_are_the_ones_django_uses():
    assert models.BigAutoField().get_lookup("in") is lookups.IntegerFieldIn
    assert models.PositiveSmallIntegerField().get_lookup("in") is lookups.IntegerFieldIn
    for name, bounded in (("in", lookups.BoundedRelatedIn), ("exact", lookups.BoundedRelatedExact),
                          ("gt", lookups.BoundedRelatedGreaterThan), ("gte", lookups.BoundedRelatedGreaterThanOrEqual),
                          ("lt", lookups.BoundedRelatedLessThan), ("lte", lookups.BoundedRelatedLessThanOrEqual)):
        assert Organisation._meta.get_field("area").get_lookup(name) is bounded
    # A UUID key is not an integer column: left to Django.
    assert lookups.integer_range(Membership.objects.filter(organisation=None).query.where.children[0].lhs,
                                 connection) is None


def test_pk_in_drops_the_ids_no_row_can_have(cast):
    commune = cast.commune1
    assert list(AdminUnit.objects.filter(pk__in=[HUGE, commune.pk])) == [commune]
    assert list(AdminUnit.objects.filter(pk__in=[HUGE])) == []
    assert list(AdminUnit.objects.filter(pk__in=[-HUGE, str(HUGE)])) == []
    assert list(User.objects.filter(id__in=[HUGE]).exclude(pk__in=[-HUGE])) == []
    assert AdminUnit.objects.exclude(pk__in=[HUGE]).count() == AdminUnit.objects.count()


def test_lookups_through_a_relation_compare_with_the_column_it_points_at(cast):
    everyone = Organisation.objects.count()
    assert list(Organisation.objects.filter(area=HUGE)) == []
    assert list(Organisation.objects.filter(area__in=[HUGE, -HUGE])) == []
    assert set(Organisation.objects.filter(area__in=[HUGE, cast.commune2.pk])) == {cast.address_b, cast.health2}
    # A bound no stored value can cross keeps every row, as Django answers pk__gt=-HUGE.
    assert Organisation.objects.filter(area__gt=-HUGE).count() == everyone
    assert Organisation.objects.filter(area__gte=-HUGE).count() == everyone
    assert Organisation.objects.filter(area__lt=HUGE).count() == everyone
    assert Organisation.objects.filter(area__lte=HUGE).count() == everyone
    assert Organisation.objects.filter(area__gt=HUGE).count() == 0
    assert Organisation.objects.filter(area__lte=-HUGE).count() == 0
    assert list(Membership.objects.filter(user=HUGE)) == []
    assert list(AdminUnit.objects.filter(parent__in=[HUGE])) == []


def test_many_to_many_lookups_too(cast):
    profile = partner_profile(cast)
    profile.areas_served.add(cast.commune1)
    assert list(PartnerProfile.objects.filter(areas_served=HUGE)) == []
    assert list(PartnerProfile.objects.filter(areas_served__in=[HUGE, cast.commune1.pk])) == [profile]
    assert list(User.objects.filter(groups=-HUGE)) == []


def test_the_range_is_the_column_s_on_this_database(cast):
    # A small-integer column on PostgreSQL holds up to 32767; SQLite stores every integer in 64 bits.
    from casework.models import Survivor

    low, high = connection.ops.integer_field_range("PositiveSmallIntegerField")
    assert list(Survivor.objects.filter(birth_year__in=[high + 1])) == []
    assert lookups.fits(high, (low, high)) and not lookups.fits(high + 1, (low, high))
    assert lookups.fits("not an int", (low, high)) and lookups.fits(True, (0, 0))


@pytest.mark.parametrize("values", [[HUGE], [-HUGE], [HUGE, 1]])
def test_a_crafted_id_on_a_multiple_choice_field_is_an_invalid_choice(cast, values):
    from django import forms

    field = forms.ModelMultipleChoiceField(queryset=Membership.objects.all(),
                                           error_messages={"invalid_choice": "not one of them"})
    with pytest.raises(forms.ValidationError) as refused:
        field.clean([str(v) for v in values])
    assert refused.value.messages == ["not one of them"]
