import django.db.models.deletion
from django.db import migrations, models

import medborg.processes.models


def forwards(apps, schema_editor):
    """Final steps become 'resolved' outcomes; other steps may move to any later one."""
    Step = apps.get_model("processes", "Step")
    Service = apps.get_model("catalog", "Service")
    for process_id in Step.objects.values_list("process_id", flat=True).distinct():
        steps = list(Step.objects.filter(process_id=process_id).order_by("position"))
        service = Service.objects.filter(process_id=process_id).first()
        for index, step in enumerate(steps):
            if step.is_final:
                step.outcome = "resolved"
            else:
                step.next_steps = [later.key for later in steps[index + 1 :]]
            if step.team_id is None and service is not None:
                step.team_id = service.team_id
            step.save(update_fields=["outcome", "next_steps", "team"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("catalog", "0001_initial"),
        ("processes", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="step",
            name="next_steps",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Keys of the steps a case may move to from this one.",
                validators=[medborg.processes.models.validate_step_keys],
                verbose_name="may move to",
            ),
        ),
        migrations.AddField(
            model_name="step",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("resolved", "Resolved"),
                    ("rejected", "Rejected"),
                    ("duplicate", "Duplicate"),
                    ("referred", "Referred elsewhere"),
                ],
                help_text="Set for steps that end the case: moving there closes it.",
                max_length=12,
                verbose_name="outcome",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="step", name="is_final"),
        migrations.AlterField(
            model_name="step",
            name="team",
            field=models.ForeignKey(
                help_text="Who holds the case in this step.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.team",
                verbose_name="team",
            ),
        ),
    ]
