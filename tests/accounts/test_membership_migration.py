"""The data steps of accounts 0003–0005: memberships in force stay in force, ended ones stay ended."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_unsaved_work")]
AFTER = [("accounts", "0005_membership_state_replaces_is_active")]


@pytest.mark.django_db(transaction=True)
def test_existing_memberships_keep_their_meaning_after_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Group = old.get_model("auth", "Group")
    AdminUnit = old.get_model("accounts", "AdminUnit")
    Organisation = old.get_model("accounts", "Organisation")
    User = old.get_model("accounts", "User")
    Membership = old.get_model("accounts", "Membership")
    province = AdminUnit.objects.create(level="province", code="99", name="Tỉnh", path="p99/")
    union = Organisation.objects.create(name="Hội", kind="wu_province", area=province,
                                        group=Group.objects.create(name="organisation:migration"))
    in_force = Membership.objects.create(user=User.objects.create(username="a"), organisation=union,
                                         role="provincial_analyst", is_active=True)
    ended = Membership.objects.create(user=User.objects.create(username="b"), organisation=union,
                                      role="provincial_analyst", is_active=False)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("accounts", "Membership")

    assert new.objects.get(pk=in_force.pk).state == "active"
    assert new.objects.get(pk=ended.pk).state == "revoked"
    migrated = new.objects.get(pk=in_force.pk)
    assert migrated.requested_at == migrated.decided_at == migrated.created_at

    # And back: the reverse step restores is_active.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    back = executor.loader.project_state(BEFORE).apps.get_model("accounts", "Membership")
    assert back.objects.get(pk=in_force.pk).is_active is True
    assert back.objects.get(pk=ended.pk).is_active is False
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
