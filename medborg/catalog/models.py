from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    slug = models.SlugField(_("key"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Zone(models.Model):
    """An area of the municipality that decision tables can ask about (``zone``)."""

    key = models.SlugField(_("key"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    geometry = models.JSONField(
        _("area"), help_text=_("A GeoJSON Polygon or MultiPolygon in WGS 84.")
    )
    position = models.PositiveSmallIntegerField(
        _("position"),
        default=0,
        help_text=_("Where zones overlap, the first in this order counts."),
    )

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self):
        return self.name

    def clean(self):
        from shapely.geometry import shape

        try:
            area = shape(self.geometry)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            area = None
        if area is None or area.geom_type not in {"Polygon", "MultiPolygon"}:
            raise ValidationError(
                {"geometry": _("Give a GeoJSON Polygon or MultiPolygon.")}
            )
        if not area.is_valid:
            raise ValidationError(
                {"geometry": _("The area crosses itself; draw it again.")}
            )


class Service(models.Model):
    class Automation(models.TextChoices):
        OFF = "off", _("Off: case workers decide")
        RECOMMEND = "recommend", _("Recommend: the table advises the case worker")
        DECIDE = "decide", _("Decide: the table's outcome is the decision")

    class Kind(models.TextChoices):
        REPORT = "report", _("Report")
        APPLICATION = "application", _("Application")
        # Opened by sensors or staff; never offered to citizens or clients.
        TASK = "task", _("Task (opened by sensors or staff)")

    class Publicity(models.TextChoices):
        HIDDEN = "hidden", _("Not public: only the citizen and staff see the cases")
        AREA = "area", _("Public, with the place rounded to about 100 m, no address")
        EXACT = "exact", _("Public, with the exact place: reports about public places")

    class Location(models.TextChoices):
        NONE = "none", _("Not asked")
        OPTIONAL = "optional", _("Optional")
        REQUIRED = "required", _("Required")

    slug = models.SlugField(_("address in the URL"), unique=True)
    code = models.SlugField(
        _("service code"),
        unique=True,
        help_text=_("Stable identifier for other systems (Open311 service_code)."),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("category"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    short_description = models.CharField(_("short description"), max_length=300)
    help_text = models.TextField(_("help text"), blank=True)
    keywords = models.CharField(
        _("search words"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated words citizens may search for."),
    )
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("team"),
    )
    process = models.ForeignKey(
        "processes.Process",
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("process"),
        help_text=_("New cases follow this process version."),
    )
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline in working days"),
        default=20,
        validators=[MinValueValidator(1)],
        help_text=_("When the whole case is expected to be done."),
    )
    reopen_days = models.PositiveSmallIntegerField(
        _("may be reopened for (days)"),
        default=30,
        help_text=_("Staff may reopen a closed case within this many days."),
    )
    location = models.CharField(
        _("place on the map"),
        max_length=10,
        choices=Location.choices,
        default=Location.NONE,
    )
    publicity = models.CharField(
        _("public cases"),
        max_length=10,
        choices=Publicity.choices,
        default=Publicity.HIDDEN,
        help_text=_(
            "Whether this service's cases appear in Open311, the public API and "
            "on maps, and how exactly their place is shown. Free text and photos "
            "appear only once staff publish them."
        ),
    )
    max_photos = models.PositiveSmallIntegerField(
        _("photos allowed"),
        default=0,
        validators=[MaxValueValidator(10)],
        help_text=_("0: the form asks for no photos."),
    )
    max_photo_mb = models.PositiveSmallIntegerField(
        _("largest photo (MB)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(25)],
    )
    decision_table = models.ForeignKey(
        "rules.DecisionTable",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decision table"),
        help_text=_("The version new decisions use."),
    )
    automation = models.CharField(
        _("automated decisions"),
        max_length=10,
        choices=Automation.choices,
        default=Automation.OFF,
    )
    automation_basis = models.CharField(
        _("legal basis for automated decisions"),
        max_length=300,
        blank=True,
        help_text=_(
            "The provision that allows this service's decisions to be taken "
            "automatically. Required for Decide."
        ),
    )
    decision_step = models.SlugField(
        _("decide at step"),
        blank=True,
        help_text=_("Key of the step where the table is evaluated; empty: on arrival."),
    )
    approve_step = models.SlugField(
        _("step after approval"), blank=True, help_text=_("Key of a process step.")
    )
    reject_step = models.SlugField(
        _("step after rejection"), blank=True, help_text=_("Key of a process step.")
    )
    appeal_days = models.PositiveSmallIntegerField(
        _("appeal period (days)"),
        default=21,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("How long after a decision the citizen may appeal it."),
    )
    is_active = models.BooleanField(_("open for cases"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["category__position", "position", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name

    @property
    def asks_location(self):
        return self.location != self.Location.NONE

    @property
    def asks_photos(self):
        return self.max_photos > 0

    def clean(self):
        from medborg.rules.validation import problems

        errors = problems(self)
        if errors:
            raise ValidationError(errors)


class Question(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multi_choice", _("Several choices")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        YES_NO = "yes_no", _("Yes or no")

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="questions"
    )
    key = models.SlugField(
        _("key"), help_text=_("Stable name of the answer, used by rules and the API.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("question"), max_length=200)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    min_value = models.DecimalField(
        _("smallest number"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("largest number"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(
        _("longest answer (characters)"), null=True, blank=True
    )

    class Meta:
        ordering = ["service", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "key"], name="question_key_unique_in_service"
            )
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.label

    @property
    def has_choices(self):
        return self.kind in {self.Kind.CHOICE, self.Kind.MULTI_CHOICE}

    def clean(self):
        errors = {}
        numeric = self.kind == self.Kind.NUMBER
        if not numeric and (self.min_value is not None or self.max_value is not None):
            errors["min_value"] = _("Only number questions have a smallest or largest.")
        if (
            numeric
            and self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            errors["max_value"] = _("The largest number is below the smallest.")
        is_text = self.kind in {self.Kind.TEXT, self.Kind.LONG_TEXT}
        if self.max_length is not None and not is_text:
            errors["max_length"] = _("Only text questions have a longest answer.")
        if errors:
            raise ValidationError(errors)


class Choice(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices"
    )
    value = models.SlugField(_("value"))
    label = models.CharField(_("label"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["question", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "value"], name="choice_value_unique_in_question"
            )
        ]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self):
        return self.label
