"""The service administrators' editor for processes and their steps.

A version that cases use is shown read-only; it is changed by making a new
version, editing that, and choosing "Use this version for new cases". Every
step list is checked as a whole with ``validation.problems`` before it is saved.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from medborg.processes import selectors, services
from medborg.processes.models import Process, Step
from medborg.processes.validation import StepSpec, problems

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_NEXT_STEPS_LABEL = capfirst(Step._meta.get_field("next_steps").verbose_name)


def _frozen(request, process) -> bool:
    """``selectors.is_frozen``, asked once per process per request.

    The admin asks it from every permission and read-only hook of the form
    and its inline; each answer is the same query.
    """
    if process is None:
        return False
    answers = request.__dict__.setdefault("_frozen_processes", {})
    if process.pk not in answers:
        answers[process.pk] = selectors.is_frozen(process)
    return answers[process.pk]


class StepKeysField(forms.Field):
    """Step keys typed as "assessed, rejected"; cleans to a list of slugs."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _(
            "“%(key)s” is not a step key: use letters, digits, hyphens and "
            "underscores, and separate keys with commas."
        ),
    }

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if isinstance(value, list | tuple):
            parts = [str(key) for key in value]
        else:
            parts = re.split(r"[\s,]+", str(value))
        # Repeating a key changes nothing; keep the first, in the order typed.
        return list(dict.fromkeys(part for part in parts if part))

    def validate(self, value):
        super().validate(value)
        for key in value:
            if not _SLUG.match(key):
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"key": key}
                )


class StepForm(forms.ModelForm):
    next_steps = StepKeysField(
        label=_NEXT_STEPS_LABEL,
        required=False,
        help_text=_(
            "Keys of the steps a case may move to from this one, separated by "
            "commas, e.g. “assessed, rejected”. Leave empty for an outcome step."
        ),
    )

    class Meta:
        model = Step
        fields = [
            "key",
            "position",
            "team",
            "expected_days",
            "outcome",
            "next_steps",
            "name",
            "public_description",
        ]


class StepFormSet(BaseInlineFormSet):
    """Check the submitted step list as a whole and save it in any order."""

    def clean(self):
        """Raise every problem of the kept steps, so the form shows them all."""
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]
        found = problems(
            [
                StepSpec(
                    key=data["key"],
                    position=data["position"],
                    has_team=data.get("team") is not None,
                    outcome=data.get("outcome", ""),
                    next_steps=tuple(data.get("next_steps", ())),
                )
                for data in kept
            ]
        )
        if found:
            raise ValidationError(found)

    def save_existing_objects(self, commit=True):
        if commit:
            self._park_moving_steps()
        return super().save_existing_objects(commit)

    def _park_moving_steps(self):
        """Move renamed, renumbered and deleted steps to keys and positions unused.

        Steps are saved one at a time, so swapping two positions or two keys
        would break the uniqueness constraints half-way through.
        """
        deleted = self.deleted_forms
        moving = [
            form.instance.pk
            for form in self.initial_forms
            if form.instance.pk
            and (form in deleted or {"key", "position"} & set(form.changed_data))
        ]
        if not moving:
            return
        stored = self.get_queryset().aggregate(last=Max("position"))["last"] or 0
        typed = [form.cleaned_data.get("position") or 0 for form in self.forms]
        start = max([stored, *typed]) + 1
        for offset, pk in enumerate(moving):
            # "~" is not allowed in a key, so no step can have the parked one.
            Step.objects.filter(pk=pk).update(key=f"~{pk}", position=start + offset)


class StepInline(TranslationStackedInline):
    model = Step
    form = StepForm
    formset = StepFormSet
    extra = 0
    ordering = ["position"]
    fields = [
        ("key", "position"),
        ("team", "expected_days"),
        ("outcome", "next_steps"),
        "name",
        "public_description",
    ]

    def get_fields(self, request, obj=None):
        if _frozen(request, obj):
            # Read-only, the moves read as they are typed, not as a JSON list.
            return [
                ("key", "position"),
                ("team", "expected_days"),
                ("outcome", "moves"),
                "name",
                "public_description",
            ]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if _frozen(request, obj):
            readonly.append("moves")
        return readonly

    @admin.display(description=_NEXT_STEPS_LABEL)
    def moves(self, step):
        return ", ".join(step.next_steps) or None

    def has_add_permission(self, request, obj=None):
        if _frozen(request, obj):
            return False
        return super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if _frozen(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if _frozen(request, obj):
            return False
        return super().has_delete_permission(request, obj)


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = ["name", "key"]

    def clean_key(self):
        key = self.cleaned_data["key"]
        # The version is not on the form, so the (key, version) constraint is
        # not checked by the form: a second "version 1" would fail on save.
        if self.instance._state.adding and Process.objects.filter(key=key).exists():
            raise ValidationError(
                _(
                    "A process with the key “%(key)s” exists. To change it, make "
                    "a new version of it in the list of processes."
                ),
                code="exists",
                params={"key": key},
            )
        return key


@admin.register(Process)
class ProcessAdmin(TranslationAdmin):
    form = ProcessForm
    list_display = [
        "name",
        "key",
        "version",
        "service_count",
        "case_count",
        "frozen",
    ]
    search_fields = ["key", "name"]
    fields = ["name", "key", "version", "created_at"]
    inlines = [StepInline]
    actions = ["make_new_version", "use_for_new_cases"]

    def get_queryset(self, request):
        return selectors.with_usage(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "version"]
        if obj is not None:
            # Services and cases find their versions by key: it never changes.
            readonly += ["key", "created_at"]
        return readonly

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f != "created_at"]

    def has_change_permission(self, request, obj=None):
        if _frozen(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if _frozen(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def has_adopt_permission(self, request):
        return request.user.has_perms(
            ["processes.change_process", "catalog.change_service"]
        )

    @admin.display(description=_("services"), ordering="service_count")
    def service_count(self, process):
        return process.service_count

    @admin.display(description=_("cases"), ordering="case_count")
    def case_count(self, process):
        return process.case_count

    @admin.display(description=_("frozen"), boolean=True)
    def frozen(self, process):
        return selectors.is_frozen(process)

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if _frozen(request, obj):
            messages.warning(request, self._frozen_message(obj.case_count))
        elif obj is not None and obj.service_count:
            messages.info(
                request,
                ngettext(
                    "%(count)d service uses this version: its next cases follow "
                    "what you save here.",
                    "%(count)d services use this version: their next cases follow "
                    "what you save here.",
                    obj.service_count,
                )
                % {"count": obj.service_count},
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @staticmethod
    def _frozen_message(count):
        return ngettext(
            "%(count)d case uses this version; make a new version to change it: "
            "tick it in the list of processes and choose “Make a new version to "
            "edit”.",
            "%(count)d cases use this version; make a new version to change it: "
            "tick it in the list of processes and choose “Make a new version to "
            "edit”.",
            count,
        ) % {"count": count}

    @admin.action(description=_("Make a new version to edit"), permissions=["add"])
    def make_new_version(self, request, queryset):
        copies = []
        for process in queryset:
            copy = services.new_version(process=process, by=request.user)
            self.log_addition(request, copy, [{"added": {}}])
            copies.append((process, copy))
        for process, copy in copies:
            self.message_user(
                request,
                _(
                    "Version %(new)d of “%(name)s” made from version %(old)d. "
                    "Edit it, then choose “Use this version for new cases”."
                )
                % {"new": copy.version, "old": process.version, "name": copy.name},
                messages.SUCCESS,
            )
        if len(copies) == 1:
            url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[copies[0][1].pk],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)
        return None

    @admin.action(
        description=_("Use this version for new cases"), permissions=["adopt"]
    )
    def use_for_new_cases(self, request, queryset):
        chosen = list(queryset)
        if len({process.key for process in chosen}) < len(chosen):
            self.message_user(
                request,
                _("Choose one version of each process to use for new cases."),
                messages.ERROR,
            )
            return
        for process in chosen:
            self._adopt(request, process)

    def _adopt(self, request, process):
        try:
            count = services.adopt_version(process=process, by=request.user)
        except ValidationError as error:
            self.message_user(
                request, self._problems_message(process, error), messages.ERROR
            )
            return
        if not count:
            self.message_user(
                request,
                _(
                    "No service changed: every service of “%(name)s” already "
                    "uses version %(version)d."
                )
                % {"version": process.version, "name": process.name},
                messages.WARNING,
            )
            return
        self.log_change(
            request,
            process,
            ngettext(
                "Used for new cases by %(count)d more service.",
                "Used for new cases by %(count)d more services.",
                count,
            )
            % {"count": count},
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d service now uses version %(version)d of “%(name)s” "
                "for new cases.",
                "%(count)d services now use version %(version)d of “%(name)s” "
                "for new cases.",
                count,
            )
            % {"count": count, "version": process.version, "name": process.name},
            messages.SUCCESS,
        )

    @staticmethod
    def _problems_message(process, error):
        return format_html(
            "{} <ul>{}</ul>",
            _(
                "Version %(version)d of “%(name)s” cannot be used for new cases; "
                "nothing was changed:"
            )
            % {"version": process.version, "name": process.name},
            format_html_join("", "<li>{}</li>", ((text,) for text in error.messages)),
        )
