from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Process(models.Model):
    """A versioned sequence of steps; a running case keeps the version it began in.

    A version that any case has entered is frozen: the admin shows it read-only
    and offers a new version to edit instead, so no running case is rewritten.
    """

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


class Outcome(models.TextChoices):
    """How a case ends; a step with an outcome closes the case."""

    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    REFERRED = "referred", _("Referred elsewhere")


def validate_step_keys(value):
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ValidationError(_("List the step keys this step may move to."))


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
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Who holds the case in this step."),
    )
    expected_days = models.PositiveSmallIntegerField(
        _("expected working days"),
        null=True,
        blank=True,
        help_text=_("How long the step may take, in working days. Empty: no limit."),
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=12,
        choices=Outcome.choices,
        blank=True,
        help_text=_("Set for steps that end the case: moving there closes it."),
    )
    next_steps = models.JSONField(
        _("may move to"),
        default=list,
        blank=True,
        validators=[validate_step_keys],
        help_text=_("Keys of the steps a case may move to from this one."),
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

    @property
    def is_final(self):
        return bool(self.outcome)
