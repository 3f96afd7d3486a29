from accounts.models import Role
from tests.conftest import signed_in


def test_every_role_reaches_its_home_page(cast):
    for role, membership in cast.by_role().items():
        response = signed_in(membership).get("/")
        assert response.status_code == 200, role
        assert membership.organisation.name in response.content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sysadmin_sees_administration_tile_and_volunteer_does_not(cast):
    assert "/operator/" in signed_in(cast.sysadmin).get("/").content.decode()
    assert "/operator/" not in signed_in(cast.by_role()[Role.VOLUNTEER]).get("/").content.decode()
