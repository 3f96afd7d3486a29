"""The home page's tiles: one ordered list (portal/navigation.py), each tile shown when the acting role
allows its page — the same tiles, in the same order, as when each app registered its own."""

from __future__ import annotations

import re

from accounts.models import Membership, Role
from tests.conftest import signed_in

CASES_NEW = ("/cases/new/", "Hồ sơ mới")
CASES = ("/cases/", "Hồ sơ")
SUPERVISION = ("/cases/supervision/", "Giám sát")
INBOX = ("/referrals/inbox/", "Chuyển gửi đã nhận")
DIRECTORY = ("/referrals/directory/", "Danh bạ cơ quan tiếp nhận")
INDICATORS = ("/indicators/", "Chỉ tiêu")
GRANTS = ("/accounts/grants/", "Thành viên và xác nhận")
ADMINISTRATION = ("/operator/", "Quản trị")


def tiles_on_home_page(membership: Membership) -> list[tuple[str, str]]:
    html = signed_in(membership).get("/").content.decode()
    tiles = re.search(r'<ul class="tiles">(.*?)</ul>', html, re.DOTALL)
    return re.findall(r'<li><a href="([^"]+)"><strong>([^<]+)</strong>', tiles.group(1))


def test_each_role_sees_the_tiles_its_permissions_reach_in_one_fixed_order(cast):
    seen = {role: tiles_on_home_page(membership) for role, membership in cast.by_role().items()}

    assert seen == {
        Role.VOLUNTEER: [CASES_NEW, CASES, DIRECTORY],
        Role.LEAD: [CASES_NEW, CASES, DIRECTORY, GRANTS],
        Role.PARTNER_OFFICER: [INBOX, DIRECTORY, GRANTS],
        Role.UNION_SUPERVISOR: [SUPERVISION, INDICATORS, DIRECTORY, GRANTS],
        Role.PROVINCIAL_ANALYST: [INDICATORS],
        Role.SYSTEM_ADMINISTRATOR: [DIRECTORY, ADMINISTRATION],
    }
