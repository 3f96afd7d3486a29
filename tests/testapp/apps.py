from django.apps import AppConfig


class TestappConfig(AppConfig):
    """Models that exist only in the test database, to exercise casework's encrypted fields."""

    name = "tests.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"
