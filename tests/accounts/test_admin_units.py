"""Moving an administrative unit (issue 11, item 6): paths decide what a supervisor sees, so a unit's new
path reaches every unit below it, in one statement; and the operator's admin saves through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import AdminUnit, Organisation, Role
from casework.models import Case
from tests import factories as f
from tests.accounts.builders import address_without_lead, pending
from tests.casework.builders import case_a, case_b
from tests.conftest import Cast, signed_in

L = AdminUnit.Level
SUPERVISION = reverse("casework:supervision-list")


def move(unit: AdminUnit, parent: AdminUnit | None, by=None, **changes: object) -> AdminUnit:  # type: ignore[no-untyped-def]
    """Change only what is given: every other field as it is stored now."""
    unit = AdminUnit.objects.get(pk=unit.pk)
    fields = {"level": unit.level, "code": unit.code, "name": unit.name, "parent": parent,
              "valid_from": unit.valid_from, "valid_until": unit.valid_until, **changes}
    return services.admin_unit_update(unit=unit, by=by, **fields)  # type: ignore[arg-type]


def paths(*units: AdminUnit) -> list[str]:
    return [AdminUnit.objects.get(pk=unit.pk).path for unit in units]


def other_district(cast: Cast) -> tuple[AdminUnit, AdminUnit]:
    """A second province with a district of its own."""
    province2 = f.unit(L.PROVINCE, "Tỉnh Hai", code="64")
    return province2, f.unit(L.DISTRICT, "Huyện Sông", province2, code="620")


def supervised_codes(membership) -> list[str]:  # type: ignore[no-untyped-def]
    return [row["survivor__code"] for row in signed_in(membership).get(SUPERVISION).context["entries"]]


# --- Paths below a moved unit -----------------------------------------------------------------------


def test_moving_a_district_to_another_province_rewrites_every_path_below_it(cast):
    province2, district2 = other_district(cast)

    moved = move(cast.district, province2)

    assert moved.path == "p64/d610/"
    assert paths(cast.district, cast.commune1, cast.village1, cast.commune2) == [
        "p64/d610/", "p64/d610/c23300/", "p64/d610/c23300/v23300-01/", "p64/d610/c23301/"]
    assert paths(cast.province, district2) == ["p62/", "p64/d620/"]
    assert list(AdminUnit.objects.within(cast.province)) == [cast.province]
    assert set(Organisation.objects.in_area(province2)) >= {cast.address_a, cast.address_b, cast.union_district}
    assert not Organisation.objects.in_area(cast.province).filter(pk=cast.address_a.pk).exists()


def test_a_new_code_or_level_rewrites_the_paths_below_too(cast):
    move(cast.commune1, cast.district, code="23399")
    assert paths(cast.commune1, cast.village1) == ["p62/d610/c23399/", "p62/d610/c23399/v23300-01/"]

    # Since 2025-07-01 a commune may sit right under its province.
    move(cast.commune1, cast.province)
    assert paths(cast.commune1, cast.village1, cast.commune2) == [
        "p62/c23399/", "p62/c23399/v23300-01/", "p62/d610/c23301/"]


def test_a_name_alone_changes_no_path(cast):
    with CaptureQueriesContext(connection) as ctx:
        move(cast.district, cast.province, name="Huyện Núi Mới")
    assert paths(cast.district, cast.village1) == ["p62/d610/", "p62/d610/c23300/v23300-01/"]
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]) == 1  # the unit's own row


def _updates_of_a_move(district: AdminUnit, to: AdminUnit) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        move(district, to)
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]


def test_one_update_rewrites_the_units_below_however_many_there_are(cast):
    province2, _district2 = other_district(cast)
    big = f.unit(L.DISTRICT, "Huyện Lớn", cast.province, code="630")
    for n in range(25):
        commune = f.unit(L.COMMUNE, f"Xã {n}", big, code=f"2400{n:02d}")
        f.unit(L.VILLAGE, f"Thôn {n}", commune, code=f"2400{n:02d}-01")

    small_updates = _updates_of_a_move(cast.district, province2)  # 3 communes and villages below
    big_updates = _updates_of_a_move(big, province2)  # 50 below

    assert len(small_updates) == len(big_updates) == 2  # the unit's own row, then everything below it
    assert AdminUnit.objects.within(AdminUnit.objects.get(pk=big.pk)).count() == 51
    assert AdminUnit.objects.filter(path__startswith="p64/d630/c").count() == 50
    assert not AdminUnit.objects.filter(path__startswith="p62/d630/").exists()


# --- Who sees what after a move -------------------------------------------------------------------


def test_after_a_commune_moves_to_another_province_only_the_new_districts_supervisor_sees_its_cases(cast):
    a, b = case_a(cast), case_b(cast)
    _province2, district2 = other_district(cast)
    union2 = f.organisation(Organisation.Kind.WOMENS_UNION_DISTRICT, district2, "Hội LHPN huyện Sông")
    supervisor2 = f.member(Role.UNION_SUPERVISOR, union2, "supervisor2")
    assert set(supervised_codes(cast.supervisor)) == {a.survivor.code, b.survivor.code}
    assert supervised_codes(supervisor2) == []

    move(cast.commune1, district2)

    assert supervised_codes(cast.supervisor) == [b.survivor.code]
    assert supervised_codes(supervisor2) == [a.survivor.code]
    refused = signed_in(cast.supervisor).get(SUPERVISION, {"trusted_address": str(cast.address_a.pk)})
    assert set(refused.context["form"].errors) == {"trusted_address"}
    assert Case.objects.supervised_by(supervisor2).get() == a


def test_after_a_commune_moves_its_grants_are_confirmed_by_the_new_districts_supervisor(cast):
    grant = pending(cast, address_without_lead(cast))  # at commune 1, no lead: the supervisor confirms
    _province2, district2 = other_district(cast)
    union2 = f.organisation(Organisation.Kind.WOMENS_UNION_DISTRICT, district2, "Hội LHPN huyện Sông")
    supervisor2 = f.member(Role.UNION_SUPERVISOR, union2, "supervisor2")
    url = reverse("accounts:grant-confirm", args=[grant.pk])
    assert signed_in(cast.supervisor).post(url, {"code": "000000"}).status_code != 404

    move(cast.commune1, district2)

    assert signed_in(cast.supervisor).post(url, {"code": "000000"}).status_code == 404
    assert signed_in(supervisor2).post(url, {"code": "000000"}).status_code != 404


# --- Moves that are refused -----------------------------------------------------------------------


@pytest.mark.parametrize("parent", ["district", "commune1", "village1"])
def test_a_unit_cannot_move_under_itself_or_a_unit_inside_it(cast, parent):
    with pytest.raises(ValidationError) as refused:
        move(cast.district, getattr(cast, parent))
    assert refused.value.message_dict == {
        "parent": ["Không thể chuyển một đơn vị vào chính nó hoặc vào một đơn vị nằm trong nó."]}
    assert paths(cast.district, cast.village1) == ["p62/d610/", "p62/d610/c23300/v23300-01/"]


def test_a_unit_cannot_move_under_a_level_it_does_not_fit(cast):
    _province2, district2 = other_district(cast)
    with pytest.raises(ValidationError) as refused:
        move(cast.village1, district2)  # a village sits in a commune
    assert refused.value.message_dict == {"parent": ["Đơn vị cấp Thôn không thể trực thuộc đơn vị này."]}
    with pytest.raises(ValidationError):
        move(cast.district, None)  # only a province has no parent
    assert paths(cast.village1) == ["p62/d610/c23300/v23300-01/"]


def test_a_level_that_no_longer_holds_what_is_below_it_is_refused(cast):
    with pytest.raises(ValidationError) as refused:
        move(cast.commune1, cast.commune2, level=L.VILLAGE)  # its own village cannot sit in a village
    assert refused.value.message_dict == {
        "level": ["Thôn Kon, đơn vị cấp Thôn, không thể trực thuộc một đơn vị cấp Thôn: hãy chuyển nó đi nơi "
                  "khác trước."]}
    with pytest.raises(ValidationError) as refused:
        move(cast.district, cast.province, level=L.COMMUNE)  # communes cannot sit in a commune
    assert refused.value.message_dict == {
        "level": ["Xã Một, đơn vị cấp Xã, không thể trực thuộc một đơn vị cấp Xã: hãy chuyển nó đi nơi khác trước."]}
    lonely = f.unit(L.COMMUNE, "Xã Ba", cast.province)
    f.organisation(Organisation.Kind.TRUSTED_ADDRESS, lonely, "Địa chỉ tin cậy D")
    with pytest.raises(ValidationError) as refused:
        move(lonely, cast.province, level=L.DISTRICT)
    assert refused.value.message_dict == {
        "level": ["Đơn vị này có địa chỉ tin cậy: địa chỉ tin cậy phải thuộc một xã hoặc một thôn."]}


def test_only_an_operator_changes_a_unit(cast):
    for member in (cast.lead_a, cast.supervisor, cast.analyst):
        with pytest.raises(PermissionDenied):
            move(cast.commune1, cast.province, by=member)
        with pytest.raises(PermissionDenied):
            services.admin_unit_create(level=L.COMMUNE, code="29999", name="Xã Mới", parent=cast.district, by=member)
    assert paths(cast.commune1) == ["p62/d610/c23300/"]
    assert move(cast.commune1, cast.province, by=cast.sysadmin).path == "p62/c23300/"


# --- The operator's admin saves through the services ------------------------------------------------


def _unit_form(unit: AdminUnit, **changes: object) -> dict[str, object]:
    return {"level": unit.level, "code": unit.code, "name": unit.name,
            "parent": unit.parent_id or "", "valid_from": "", "valid_until": "", "_save": "1", **changes}


def test_an_operator_moving_a_commune_in_the_admin_moves_everything_below_it(cast):
    _province2, district2 = other_district(cast)
    url = reverse("admin:accounts_adminunit_change", args=[cast.commune1.pk])

    response = signed_in(cast.sysadmin).post(url, _unit_form(cast.commune1, parent=district2.pk))

    assert response.status_code == 302
    assert paths(cast.commune1, cast.village1) == ["p64/d620/c23300/", "p64/d620/c23300/v23300-01/"]


def test_the_admin_places_a_refused_move_beside_the_parent_field(cast):
    url = reverse("admin:accounts_adminunit_change", args=[cast.district.pk])

    response = signed_in(cast.sysadmin).post(url, _unit_form(cast.district, parent=cast.commune1.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "parent": ["Không thể chuyển một đơn vị vào chính nó hoặc vào một đơn vị nằm trong nó."]}
    assert paths(cast.district) == ["p62/d610/"]


def test_an_operator_adds_a_unit_in_the_admin_through_the_service(cast):
    response = signed_in(cast.sysadmin).post(reverse("admin:accounts_adminunit_add"), {
        "level": L.COMMUNE, "code": " 23302 ", "name": "Xã Ba", "parent": cast.district.pk,
        "valid_from": "", "valid_until": "", "_save": "1"})

    assert response.status_code == 302
    assert AdminUnit.objects.get(code="23302").path == "p62/d610/c23302/"


def test_an_operator_editing_an_organisation_in_the_admin_goes_through_the_service(cast):
    url = reverse("admin:accounts_organisation_change", args=[cast.police1.pk])

    response = signed_in(cast.sysadmin).post(url, {
        "name": "Công an xã Một (mới)", "kind": cast.police1.kind, "area": cast.commune2.pk,
        "established_on": "", "programme_status": "", "is_active": "on", "_save": "1"})

    assert response.status_code == 302
    latest = cast.police1.history.latest()
    assert (latest.name, latest.area_id) == ("Công an xã Một (mới)", cast.commune2.pk)
    assert (latest.history_user, latest.history_change_reason) == (cast.sysadmin.user, "updated")


def test_an_operator_adding_an_organisation_in_the_admin_gets_its_permission_group(cast):
    response = signed_in(cast.sysadmin).post(reverse("admin:accounts_organisation_add"), {
        "name": "Trạm y tế xã Một", "kind": Organisation.Kind.HEALTH_STATION, "area": cast.commune1.pk,
        "established_on": "", "programme_status": "", "is_active": "on", "_save": "1"})

    assert response.status_code == 302
    created = Organisation.objects.get(name="Trạm y tế xã Một")
    assert created.group.name == f"organisation:{created.pk}"
    assert created.history.get().history_user == cast.sysadmin.user
