from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from medborg.cases.lifecycle import Status


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    SENSOR = "sensor", _("Sensor")
    STAFF = "staff", _("Registered by staff")


class ReferenceCounter(models.Model):
    """The last number handed out per prefix and year; locked while counting."""

    prefix = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "year"], name="reference_counter_unique"
            )
        ]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last_number}"


class Case(models.Model):
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("service"),
    )
    process = models.ForeignKey(
        "processes.Process", on_delete=models.PROTECT, related_name="cases"
    )
    step = models.ForeignKey(
        "processes.Step",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("step"),
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.SUBMITTED
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    submission_key_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    submission_digest = models.CharField(max_length=64, blank=True, editable=False)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address or place"), max_length=300, blank=True)
    contact_email = models.EmailField(_("e-mail for updates"), blank=True)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Free text sent with the case (Open311, API); never public."),
    )
    public_description = models.TextField(
        _("published description"),
        blank=True,
        help_text=_(
            "What staff chose to publish of the description, without personal data."
        ),
    )
    media_url = models.URLField(
        _("link to media"),
        max_length=2000,
        blank=True,
        help_text=_("Sent by an app; stored as a link, never fetched by the server."),
    )
    media_public = models.BooleanField(
        _("link to media published"),
        default=False,
        help_text=_("Staff checked that the linked media may be shown publicly."),
    )
    api_key = models.ForeignKey(
        "api.ApiKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("sent by client application"),
    )
    language = models.CharField(_("citizen's language"), max_length=8, default="sv")
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("held by team"),
        help_text=_("The step's team, unless the case was referred to another."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned to"),
    )
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)
    step_entered_at = models.DateTimeField(_("in this step since"))
    step_due_at = models.DateTimeField(_("step due"), null=True, blank=True)
    due_at = models.DateTimeField(_("case due"), null=True, blank=True)
    next_due_at = models.DateTimeField(
        _("next due"),
        null=True,
        blank=True,
        help_text="The earlier of the step's and the case's due dates; for sorting.",
    )
    on_hold_since = models.DateTimeField(
        _("waiting for the citizen since"),
        null=True,
        blank=True,
        help_text=_("The clock stops while the case waits for the citizen."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    sealed_token = models.TextField(
        blank=True,
        editable=False,
        help_text="The tracking token encrypted for update e-mails; empty without.",
    )
    mailed_event_id = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="The last public event e-mailed."
    )
    mail_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_mailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("last change"))
    version = models.PositiveIntegerField(
        default=1, help_text="Grows with every change the citizen can see."
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["service", "status", "-submitted_at"]),
            # The staff inbox: a team's cases not yet closed, soonest due first.
            models.Index(
                fields=["team", "next_due_at"],
                condition=models.Q(closed_at__isnull=True),
                name="case_inbox",
            ),
        ]
        permissions = [
            ("view_contact", _("Can see the citizen's contact details")),
            ("extend_deadline", _("Can extend deadlines")),
            ("assign_others", _("Can assign cases to colleagues")),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self):
        return self.reference

    @property
    def has_location(self):
        return self.latitude is not None and self.longitude is not None

    @property
    def holding_team(self):
        return self.team

    @property
    def is_on_hold(self):
        return self.on_hold_since is not None


class CaseEvent(models.Model):
    """One change to a case; appended, never edited."""

    class Kind(models.TextChoices):
        SUBMITTED = "case.submitted", _("Submitted")
        MOVED = "case.moved", _("Moved to a step")
        ASSIGNED = "case.assigned", _("Assigned")
        NOTE = "case.note", _("Internal note")
        MESSAGE = "case.message", _("Message to the citizen")
        INFO_REQUESTED = "case.info_requested", _("More information asked for")
        INFO_RECEIVED = "case.info_received", _("The citizen answered")
        EXTENDED = "case.extended", _("Deadline extended")
        DUPLICATE = "case.duplicate", _("Marked as a duplicate")
        MERGED = "case.merged", _("Duplicate joined")
        REFERRED = "case.referred", _("Referred")
        REOPENED = "case.reopened", _("Reopened")
        RATED = "case.rated", _("Satisfaction given")
        PUBLISHED = "case.published", _("Published for everyone")
        MAILED = "citizen.mailed", _("E-mail sent to the citizen")
        DECISION_MADE = "decision.made", _("Decided automatically")
        DECISION_RECOMMENDED = "decision.recommended", _("Recommendation made")
        DECISION_REFERRED = "decision.referred", _("Sent to a case worker to decide")
        DECISION_OVERRIDDEN = "decision.overridden", _("Decided by a case worker")
        APPEALED = "decision.appealed", _("Decision appealed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    is_public = models.BooleanField(_("shown to the citizen"), default=False)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Case events are appended, never changed.")
        super().save(*args, **kwargs)


class Attachment(models.Model):
    """A photo, re-encoded without metadata; pending until its case is submitted."""

    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="attachments",
        null=True,
        blank=True,
    )
    submission_key_hash = models.CharField(max_length=64, db_index=True, blank=True)
    image = models.ImageField(upload_to="photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="thumbnails/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes after re-encoding.")
    position = models.PositiveSmallIntegerField(default=0)
    is_public = models.BooleanField(
        _("publishable"),
        default=False,
        help_text=_("Staff have checked that the photo may be shown publicly."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return self.image.name
