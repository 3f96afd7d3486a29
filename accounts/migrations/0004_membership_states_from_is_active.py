# The data step between 0003 and 0005, alone in its migration (see 0003).

from django.db import migrations, models


def states_from_is_active(apps, schema_editor):
    """Every membership in force stays in force, every ended one stays ended — history rows included,
    so the history keeps saying what was in force when. Asked for and decided when it was created."""
    for name in ("Membership", "HistoricalMembership"):
        model = apps.get_model("accounts", name)
        model.objects.filter(is_active=True).update(state="active")
        model.objects.filter(is_active=False).update(state="revoked")
        model.objects.update(requested_at=models.F("created_at"), decided_at=models.F("created_at"))


def is_active_from_states(apps, schema_editor):
    for name in ("Membership", "HistoricalMembership"):
        model = apps.get_model("accounts", name)
        model.objects.filter(state="active").update(is_active=True)
        model.objects.exclude(state="active").update(is_active=False)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_membership_confirmation_links_events'),
    ]

    operations = [
        migrations.RunPython(states_from_is_active, is_active_from_states),
    ]
