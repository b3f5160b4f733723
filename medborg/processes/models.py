from django.db import models
from django.utils.translation import gettext_lazy as _


class Process(models.Model):
    """A versioned sequence of steps; a running case keeps the version it began in."""

    key = models.SlugField(_("key"))
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="process_key_version_unique"
            )
        ]
        verbose_name = _("process")
        verbose_name_plural = _("processes")

    def __str__(self):
        return f"{self.name} (v{self.version})"


class Step(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(_("key"))
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=120)
    public_description = models.TextField(
        _("what it means for the citizen"),
        help_text=_("Plain language, shown on the citizen's tracking page."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Who holds the case in this step. Empty: the service's team."),
    )
    expected_days = models.PositiveSmallIntegerField(
        _("expected working days"),
        null=True,
        blank=True,
        help_text=_("How long the step may take, in working days. Empty: no limit."),
    )
    is_final = models.BooleanField(
        _("closes the case"),
        default=False,
        help_text=_("Moving a case to this step closes it."),
    )

    class Meta:
        ordering = ["process", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "key"], name="step_key_unique_in_process"
            ),
            models.UniqueConstraint(
                fields=["process", "position"], name="step_position_unique_in_process"
            ),
        ]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self):
        return self.name
