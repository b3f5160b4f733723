from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from medborg.catalog.models import Category, Choice, Question, Service, Zone

CHOICE_KINDS = {Question.Kind.CHOICE, Question.Kind.MULTI_CHOICE}


class QuestionFormSet(BaseInlineFormSet):
    """Check the question list as a whole; Django's own check catches duplicate keys."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            question = form.instance
            is_choice = form.cleaned_data.get("kind") in CHOICE_KINDS
            if (
                is_choice
                and self.instance.is_active
                and (question.pk is None or question.choices.count() < 2)
            ):
                raise ValidationError(
                    _(
                        "The choice question “%(label)s” needs at least two choices "
                        "before the service can be open for cases. Save the service "
                        "closed, add the choices on the question's page, then open it."
                    )
                    % {"label": form.cleaned_data.get("label")}
                )


class QuestionInline(TranslationStackedInline):
    model = Question
    formset = QuestionFormSet
    extra = 0
    show_change_link = True
    fields = [
        ("key", "position", "kind", "required"),
        "label",
        "help_text",
        ("min_value", "max_value", "max_length"),
    ]


class ServiceForm(forms.ModelForm):
    """The service form: only the service's own tables can be chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("decision_table")
        if field is not None:
            # Only tables written for this service bind to its questions.
            field.queryset = (
                self.instance.decision_tables.order_by("key", "-version")
                if self.instance.pk
                else field.queryset.none()
            )


@admin.register(Service)
class ServiceAdmin(TranslationAdmin):
    form = ServiceForm
    list_display = ["name", "code", "category", "kind", "team", "is_active"]
    list_filter = ["category", "kind", "is_active", "team"]
    search_fields = ["name", "code", "keywords"]
    prepopulated_fields = {"slug": ["name_sv"], "code": ["name_en"]}
    inlines = [QuestionInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "code", "category", "kind", "is_active"]}),
        (
            gettext_lazy("Texts for citizens"),
            {"fields": ["short_description", "help_text", "keywords", "legal_basis"]},
        ),
        (
            gettext_lazy("Handling"),
            {"fields": ["team", "process", "deadline_days", "position"]},
        ),
        (
            gettext_lazy("What the form asks"),
            {"fields": ["location", "publicity", "max_photos", "max_photo_mb"]},
        ),
        (
            gettext_lazy("Automated decisions"),
            {
                "fields": [
                    "decision_table",
                    "automation",
                    "automation_basis",
                    "decision_step",
                    ("approve_step", "reject_step"),
                    "appeal_days",
                ],
                "description": gettext_lazy(
                    "Upload a table under Decision tables and try it on recent "
                    "cases there before choosing it here."
                ),
            },
        ),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "decision_table":
            # Tables are uploaded as files, not added in a pop-up.
            field.widget.can_add_related = False
            field.widget.can_change_related = False
            field.widget.can_delete_related = False
        return field


class ChoiceFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if self.instance.has_choices and len(kept) < 2:
            raise ValidationError(_("A choice question needs at least two choices."))
        if not self.instance.has_choices and kept:
            raise ValidationError(_("Only choice questions have choices."))


class ChoiceInline(TranslationStackedInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 0
    fields = [("value", "position"), "label"]


@admin.register(Question)
class QuestionAdmin(TranslationAdmin):
    list_display = ["label", "service", "key", "kind", "required"]
    list_filter = ["kind", "service"]
    inlines = [ChoiceInline]


@admin.register(Category)
class CategoryAdmin(TranslationAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name_sv"]}


class ZoneForm(forms.ModelForm):
    class Meta:
        model = Zone
        fields = ["key", "name", "position", "geometry"]
        widgets = {
            "geometry": forms.Textarea(
                attrs={"rows": 12, "cols": 80, "class": "vLargeTextField"}
            )
        }


@admin.register(Zone)
class ZoneAdmin(TranslationAdmin):
    form = ZoneForm
    list_display = ["name", "key", "position"]
    search_fields = ["key", "name"]
    fields = ["name", "key", "position", "geometry"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Decision tables name zones by key; a new key would orphan them.
            readonly.append("key")
        return readonly
