"""The citizen's form for a service, built from the service's questions."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medborg import municipality
from medborg.cases import photos as photo_checks
from medborg.cases import tokens
from medborg.catalog.models import Question

QUESTION_PREFIX = "q_"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(PhotosField, self).clean(item, initial) for item in files]


def _question_field(question: Question) -> forms.Field:
    common = {
        "label": question.label,
        "help_text": question.help_text,
        "required": question.required,
    }
    kind = question.kind
    if kind == Question.Kind.TEXT:
        return forms.CharField(max_length=question.max_length or 300, **common)
    if kind == Question.Kind.LONG_TEXT:
        return forms.CharField(
            max_length=question.max_length or 4000,
            widget=forms.Textarea(attrs={"rows": 5}),
            **common,
        )
    if kind == Question.Kind.NUMBER:
        return forms.DecimalField(
            min_value=question.min_value,
            max_value=question.max_value,
            max_digits=14,
            decimal_places=2,
            widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
            **common,
        )
    if kind == Question.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == Question.Kind.YES_NO:
        return forms.TypedChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))],
            coerce=lambda value: value == "yes",
            empty_value=None,
            widget=forms.RadioSelect,
            **common,
        )
    choices = [(choice.value, choice.label) for choice in question.choices.all()]
    if kind == Question.Kind.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    widget = forms.RadioSelect if len(choices) <= 6 else forms.Select
    if widget is forms.Select:
        choices = [("", _("Choose…")), *choices]
    return forms.ChoiceField(choices=choices, widget=widget, **common)


def _json_value(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class CaseForm(forms.Form):
    """Questions, place, photos and e-mail for one service.

    ``pending_count`` is the number of photos already kept from an earlier
    attempt; valid new photos are in ``checked_photos`` after validation, even
    when other fields failed, so the view can keep them for the next attempt.
    """

    submission_key = forms.CharField(widget=forms.HiddenInput)
    latitude = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    longitude = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    address = forms.CharField(
        label=gettext_lazy("Address or description of the place"),
        help_text=gettext_lazy(
            "For example a street address, a crossing or a landmark nearby."
        ),
        required=False,
        max_length=300,
    )
    photos = PhotosField(
        label=gettext_lazy("Photos"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif"}
        ),
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("E-mail for updates"),
        help_text=gettext_lazy(
            "Optional. We send you the link to follow your case, nothing else."
        ),
        required=False,
        max_length=254,
    )

    def __init__(self, *args, service, pending_count=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.pending_count = pending_count
        self.checked_photos = []
        questions = [
            (f"{QUESTION_PREFIX}{question.key}", _question_field(question))
            for question in service.questions.prefetch_related("choices")
        ]
        self.question_fields = [name for name, _field in questions]
        ordered = dict(questions)
        ordered.update(self.fields)
        self.fields = ordered
        if not service.asks_location:
            for name in ("latitude", "longitude", "address"):
                del self.fields[name]
        if not service.asks_photos:
            del self.fields["photos"]
        else:
            self.fields["photos"].help_text = _(
                "Up to %(count)s photos, each at most %(size)s MB: JPEG, PNG, "
                "WebP or HEIC. Location data in the photos is removed."
            ) % {"count": service.max_photos, "size": service.max_photo_mb}

    def clean_submission_key(self):
        key = self.cleaned_data["submission_key"]
        if not tokens.is_submission_key(key):
            raise ValidationError(
                _("The form is damaged. Reload the page and try again."),
                code="bad_key",
            )
        return key

    def clean_photos(self):
        uploads = self.cleaned_data.get("photos") or []
        room = self.service.max_photos - self.pending_count
        if len(uploads) > room:
            raise ValidationError(
                _("You can attach at most %(count)s photos.")
                % {"count": self.service.max_photos},
                code="too_many",
            )
        errors = []
        max_bytes = self.service.max_photo_mb * 1_048_576
        for upload in uploads:
            try:
                photo_checks.check_size(
                    upload.size, name=upload.name, max_bytes=max_bytes
                )
                self.checked_photos.append(
                    photo_checks.process(
                        upload.read(), name=upload.name, max_bytes=max_bytes
                    )
                )
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return uploads

    def clean(self):
        cleaned = super().clean()
        if not self.service.asks_location:
            return cleaned
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if "latitude" in self.errors or "longitude" in self.errors:
            return cleaned
        if (latitude is None) != (longitude is None):
            self.add_error(
                "latitude" if latitude is None else "longitude",
                _("Give both latitude and longitude, or neither."),
            )
        elif latitude is not None and not municipality.contains(latitude, longitude):
            self.add_error(
                "latitude",
                _(
                    "This place is outside %(municipality)s. Choose a place inside "
                    "the municipality, or contact the municipality where it is."
                )
                % {"municipality": settings.MUNICIPALITY_NAME},
            )
        elif (
            latitude is None
            and not cleaned.get("address")
            and self.service.location == self.service.Location.REQUIRED
        ):
            self.add_error(
                "address",
                _("Mark the place on the map or describe where it is."),
            )
        return cleaned

    def answers(self) -> dict:
        return {
            name.removeprefix(QUESTION_PREFIX): _json_value(self.cleaned_data[name])
            for name in self.question_fields
            if self.cleaned_data.get(name) not in (None, "", [])
        }
