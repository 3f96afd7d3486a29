# Split from 0003 (see there): drops ``is_active`` once ``state`` holds its meaning.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_membership_states_from_is_active'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='historicalmembership',
            name='is_active',
        ),
        migrations.RemoveField(
            model_name='membership',
            name='is_active',
        ),
        migrations.AlterField(
            model_name='historicalmembership',
            name='created_at',
            field=models.DateTimeField(blank=True, editable=False, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='membership',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created at'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(condition=models.Q(('state__in', ['requested', 'active'])), fields=('user', 'organisation'), name='membership_one_live_role_per_organisation', violation_error_message='This user already has a role in this organisation, in force or awaiting confirmation.'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('state', 'requested')), models.Q(models.Q(('state', 'requested'), _negated=True), ('decided_at__isnull', False)), _connector='OR'), name='membership_decided_unless_requested'),
        ),
    ]
