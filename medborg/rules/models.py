from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DecisionTable(models.Model):
    """One version of a decision table: DMN 1.3 XML, named by its content hash.

    Versions of the same table share a ``key`` and count up. A version is never
    changed after upload: decisions point to it and must replay on it.
    """

    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.PROTECT,
        related_name="decision_tables",
        verbose_name=_("service"),
        help_text=_("Its inputs are bound to this service's questions."),
    )
    key = models.SlugField(
        _("key"), help_text=_("Names the table across its versions.")
    )
    version = models.PositiveIntegerField(_("version"), editable=False)
    content_hash = models.CharField(_("content hash"), max_length=64, editable=False)
    decision_id = models.CharField(
        _("decision in the file"), max_length=200, editable=False
    )
    name = models.CharField(_("name"), max_length=200, editable=False)
    xml = models.TextField(_("DMN XML"), editable=False)
    findings = models.JSONField(
        _("findings"),
        default=list,
        editable=False,
        help_text=_("Gaps and overlaps found when the table was uploaded."),
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("uploaded by"),
    )

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="decision_table_version_unique"
            ),
            models.UniqueConstraint(
                fields=["key", "content_hash"], name="decision_table_content_unique"
            ),
        ]
        verbose_name = _("decision table")
        verbose_name_plural = _("decision tables")

    def __str__(self):
        return f"{self.name} v{self.version}"

    @property
    def short_hash(self):
        return self.content_hash[:12]


class Decision(models.Model):
    """An outcome for a case, with everything needed to explain and replay it.

    Never edited or deleted: a case worker's override is a new Decision that
    ``replaces`` the earlier one.
    """

    class Kind(models.TextChoices):
        DECISION = "decision", _("Decided automatically")
        RECOMMENDATION = "recommendation", _("Recommendation to the case worker")
        REFERRAL = "referral", _("Sent to a case worker")
        OVERRIDE = "override", _("Decided by a case worker")

    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        REFER = "refer", _("To a case worker")

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reasons = models.JSONField(_("reason codes"), default=list)
    table = models.ForeignKey(
        DecisionTable,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("decision table"),
    )
    table_hash = models.CharField(_("table content hash"), max_length=64, blank=True)
    table_version = models.PositiveIntegerField(
        _("table version"), null=True, blank=True
    )
    inputs = models.JSONField(_("inputs"), default=dict)
    matched_rules = models.JSONField(_("matched rules"), default=list)
    outputs = models.JSONField(_("outputs"), null=True, blank=True)
    problem = models.CharField(_("why no rule decided"), max_length=100, blank=True)
    explanation = models.JSONField(
        _("explanation"), default=dict, help_text=_("By language code.")
    )
    automated = models.BooleanField(_("automated"))
    legal_basis = models.JSONField(
        _("legal basis"), default=dict, help_text=_("By language code.")
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    reason_text = models.TextField(_("case worker's reasons"), blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    made_at = models.DateTimeField(_("made"), db_index=True)
    appeal_until = models.DateTimeField(_("may be appealed until"), null=True)

    class Meta:
        ordering = ["made_at", "id"]
        permissions = [
            ("override_decision", _("Can decide or override a decision on a case")),
        ]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self):
        return f"{self.case_id}: {self.get_outcome_display()}"

    @property
    def is_binding(self):
        """A decision on the matter (not a recommendation or a referral)."""
        return self.kind in {self.Kind.DECISION, self.Kind.OVERRIDE} and (
            self.outcome != self.Outcome.REFER
        )

    @property
    def replayable(self):
        return self.table_id is not None and self.kind != self.Kind.OVERRIDE
