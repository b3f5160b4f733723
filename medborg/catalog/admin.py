from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from medborg.catalog.models import Category, Choice, Question, Service


class QuestionFormSet(BaseInlineFormSet):
    """Check the question list as a whole; Django's own check catches duplicate keys."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            question = form.instance
            is_choice = form.cleaned_data.get("kind") == Question.Kind.CHOICE
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


@admin.register(Service)
class ServiceAdmin(TranslationAdmin):
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
            {"fields": ["location", "max_photos", "max_photo_mb"]},
        ),
    ]


class ChoiceFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if self.instance.kind == Question.Kind.CHOICE and len(kept) < 2:
            raise ValidationError(_("A choice question needs at least two choices."))
        if self.instance.kind != Question.Kind.CHOICE and kept:
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
