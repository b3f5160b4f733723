"""The service administrators' view of decision tables and the decisions made.

A version is uploaded as a DMN file through ``services.upload_table`` and is
never edited afterwards (only its note is): decisions point to it and must
replay on it. Each version can be read as a grid, downloaded as stored,
compared with another version of its key, and tried on recent cases before
it is used for new decisions (``services.activate_table``).
"""

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medborg.rules import dmn, feel, services
from medborg.rules.models import Decision, DecisionTable
from medborg.rules.selectors import parsed
from medborg.rules.whatif import NO_OUTCOME, compare, rule_view, what_if

MAX_FILE_BYTES = 1024 * 1024
FINDING_KINDS = {
    "incomplete": gettext_lazy("Gap"),
    "overlap": gettext_lazy("Overlap"),
    "too-large": gettext_lazy("Not fully checked"),
}


class UploadForm(forms.ModelForm):
    file = forms.FileField(
        label=gettext_lazy("DMN file"),
        help_text=gettext_lazy(
            "A DMN 1.3 file from Camunda Modeler or dmn-js, at most 1 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".dmn,.xml"}),
    )
    decision_id = forms.CharField(
        label=gettext_lazy("decision in the file"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "The id of the decision to use, for a file that holds several."
        ),
    )

    class Meta:
        model = DecisionTable
        fields = ["service", "key", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].help_text = gettext_lazy(
            "Names the table across its versions. Empty: taken from the file name."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is larger than 1 MB."), code="too_large")
        xml = upload.read()
        try:
            xml.decode("utf-8")
        except UnicodeDecodeError:
            # Versions are stored as text and downloaded byte for byte.
            raise ValidationError(
                _("Save the file as UTF-8; it is in another encoding."),
                code="encoding",
            ) from None
        return xml

    def clean(self):
        data = super().clean()
        upload = self.files.get(self.add_prefix("file"))
        if not data.get("key") and upload is not None:
            data["key"] = slugify(Path(upload.name).stem)[:50]
            if not data["key"]:
                self.add_error("key", _("Give the table a key."))
        service, key = data.get("service"), data.get("key")
        if service and key:
            other = (
                DecisionTable.objects.filter(key=key)
                .exclude(service=service)
                .select_related("service")
                .first()
            )
            if other is not None:
                self.add_error(
                    "key",
                    _(
                        "The key “%(key)s” names a table of “%(service)s”; "
                        "choose another key."
                    )
                    % {"key": key, "service": other.service},
                )
        return data


class CompareForm(forms.Form):
    other = forms.ModelChoiceField(
        label=gettext_lazy("Compare with"), queryset=DecisionTable.objects.none()
    )

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = versions
        self.fields["other"].label_from_instance = lambda table: (
            _("version %(version)d") % {"version": table.version}
        )


def _show_json(value) -> str:
    """A value of a finding's example as FEEL writes it."""
    if isinstance(value, str):
        return value if value == "…" else f'"{value}"'
    return feel.format_value(value)


def _outcome(code: str) -> str:
    labels = dict(Decision.Outcome.choices)
    return str(labels.get(code, _("no decision") if code == NO_OUTCOME else code))


def _findings(findings: list[dict]) -> list[dict]:
    return [
        {
            "kind": FINDING_KINDS.get(finding["code"], finding["code"]),
            "message": finding["message"],
            "example": ", ".join(
                f"{name} = {_show_json(value)}"
                for name, value in (finding.get("example") or {}).items()
            ),
            "rules": finding.get("rules") or [],
        }
        for finding in findings
    ]


def _languages(table: dmn.DecisionTable) -> list[tuple[str, str]]:
    """Annotation columns: the site's languages, then any other tag used."""
    names = dict(settings.LANGUAGES)
    used = {key for rule in table.rules for key in rule.annotations}
    extra = sorted(used - set(names))
    return [
        (code, names.get(code) or code or _("untagged")) for code in [*names, *extra]
    ]


def grid(table: dmn.DecisionTable) -> dict:
    """The table as rows of cells, in the order of its columns."""
    languages = _languages(table)
    rows = []
    for rule in table.rules:
        view = rule_view(table, rule)
        rows.append(
            {
                "id": view.id,
                "tests": list(view.tests.values()),
                "outputs": list(view.outputs.values()),
                "annotations": [
                    view.annotations.get(code, "") for code, _l in languages
                ],
            }
        )
    return {"table": table, "languages": languages, "rows": rows}


@admin.register(DecisionTable)
class DecisionTableAdmin(admin.ModelAdmin):
    add_form_template = "admin/rules/decisiontable/upload_form.html"
    list_display = [
        "name",
        "key",
        "version",
        "service",
        "short_hash",
        "uploaded_at",
        "uploaded_by",
        "finding_count",
        "is_active",
    ]
    list_filter = ["service", "key"]
    list_select_related = ["service", "uploaded_by"]
    search_fields = ["key", "name", "note"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("name", "key", "version"),
                    "service",
                    ("decision_id", "short_hash"),
                    ("uploaded_at", "uploaded_by"),
                    "note",
                ]
            },
        )
    ]
    readonly_fields = [
        "name",
        "key",
        "version",
        "service",
        "decision_id",
        "short_hash",
        "uploaded_at",
        "uploaded_by",
    ]
    actions = ["use_for_new_decisions"]

    @admin.display(description=gettext_lazy("content hash"))
    def short_hash(self, table):
        return format_html(
            '<code title="{}">{}</code>', table.content_hash, table.short_hash
        )

    @admin.display(description=gettext_lazy("findings"))
    def finding_count(self, table):
        return len(table.findings)

    @admin.display(description=gettext_lazy("used for new decisions"), boolean=True)
    def is_active(self, table):
        return table.service.decision_table_id == table.pk

    def has_delete_permission(self, request, obj=None):
        # Decisions point to their version and must replay on it.
        return False

    def has_activate_permission(self, request, obj=None):
        return request.user.has_perm("catalog.change_service")

    def save_model(self, request, obj, form, change):
        obj.save(update_fields=["note"])

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/download/",
                view(self.download_view),
                name=f"{info}_download",
            ),
            path(
                "<path:object_id>/compare/",
                view(self.compare_view),
                name=f"{info}_compare",
            ),
            path(
                "<path:object_id>/what-if/",
                view(self.what_if_view),
                name=f"{info}_what_if",
            ),
            *super().get_urls(),
        ]

    def _url(self, name, table):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=[table.pk],
            current_app=self.admin_site.name,
        )

    def _viewable(self, request, object_id) -> DecisionTable:
        if not self.has_view_permission(request):
            raise PermissionDenied
        table = self.get_object(request, unquote(object_id))
        if table is None:
            raise Http404(_("No decision table has this id."))
        return table

    def _context(self, request, table, title) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": table,
            "title": title,
            "subtitle": str(table),
            "change_url": self._url("change", table),
        }

    # Uploading ---------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                table = self._upload(request, form)
                if table is not None:
                    return HttpResponseRedirect(self._url("change", table))
        else:
            form = UploadForm(initial=self.get_changeform_initial_data(request))
        fields = ["file", "service", "key", "decision_id", "note"]
        adminform = helpers.AdminForm(
            form, [(None, {"fields": fields})], {}, model_admin=self
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload a decision table"),
            "subtitle": None,
            "adminform": adminform,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + adminform.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def _upload(self, request, form) -> DecisionTable | None:
        """Store the file through the service; its refusals become form errors."""
        data = form.cleaned_data
        xml = data["file"]
        known = DecisionTable.objects.filter(
            key=data["key"], content_hash=dmn.content_hash(xml)
        ).exists()
        try:
            table = services.upload_table(
                service=data["service"],
                key=data["key"],
                xml=xml,
                note=data["note"],
                decision_id=data["decision_id"] or None,
                by=request.user,
            )
        except dmn.UnsupportedDMN as error:
            form.add_error(
                "file",
                _("The file cannot be used: %(problem)s") % {"problem": error},
            )
            return None
        except services.TableRefused as error:
            form.add_error(
                "file",
                [
                    _("Refused: %(problem)s") % {"problem": problem}
                    for problem in error.problems
                ],
            )
            return None
        if known:
            self.message_user(
                request,
                _(
                    "This file is version %(version)d of “%(key)s”; nothing new was "
                    "stored."
                )
                % {"version": table.version, "key": table.key},
                messages.INFO,
            )
            return table
        self.log_addition(request, table, [{"added": {}}])
        self._report_upload(request, table)
        return table

    def _report_upload(self, request, table):
        self.message_user(
            request,
            _(
                "Version %(version)d of “%(key)s” was stored. Try it on recent cases "
                "with “What if”, then use it for new decisions."
            )
            % {"version": table.version, "key": table.key},
            messages.SUCCESS,
        )
        for finding in _findings(table.findings):
            if finding["example"]:
                text = _("%(kind)s: %(message)s. For example: %(example)s.")
            else:
                text = _("%(kind)s: %(message)s.")
            self.message_user(request, text % finding, messages.WARNING)

    # Reading -----------------------------------------------------------------

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None:
            context.update(self._version_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _version_context(self, request, table) -> dict:
        previous = (
            DecisionTable.objects.filter(key=table.key)
            .exclude(pk=table.pk)
            .order_by("-version")
            .values_list("pk", "version")
        )
        others = list(previous)
        earlier = [pk for pk, version in others if version < table.version]
        context = {
            "download_url": self._url("download", table),
            "what_if_url": self._url("what_if", table),
            "compare_url": self._url("compare", table),
            "compare_with": (earlier or [pk for pk, _v in others] or [None])[0],
            "findings": _findings(table.findings),
        }
        try:
            context["grid"] = grid(parsed(table))
        except dmn.UnsupportedDMN as error:
            context["unreadable"] = str(error)
        return context

    def download_view(self, request, object_id):
        table = self._viewable(request, object_id)
        response = HttpResponse(
            table.xml.encode("utf-8"), content_type="application/xml"
        )
        response["Content-Disposition"] = content_disposition_header(
            True, f"{table.key}-v{table.version}.dmn"
        )
        return response

    def compare_view(self, request, object_id):
        table = self._viewable(request, object_id)
        versions = DecisionTable.objects.filter(key=table.key).exclude(pk=table.pk)
        form = CompareForm(request.GET or None, versions=versions.order_by("-version"))
        context = {
            **self._context(request, table, _("Compare versions")),
            "form": form,
        }
        if not form.is_bound:
            return TemplateResponse(
                request, "admin/rules/decisiontable/compare.html", context
            )
        if not form.is_valid():
            return TemplateResponse(
                request, "admin/rules/decisiontable/compare.html", context, status=400
            )
        old, new = sorted([table, form.cleaned_data["other"]], key=lambda t: t.version)
        context.update(
            {
                "old": old,
                "new": new,
                "comparison": (comparison := compare(parsed(old), parsed(new))),
                "columns": [
                    (_("Inputs"), comparison.inputs),
                    (_("Outputs"), comparison.outputs),
                ],
                "old_grid": grid(parsed(old)),
                "new_grid": grid(parsed(new)),
            }
        )
        return TemplateResponse(
            request, "admin/rules/decisiontable/compare.html", context
        )

    # Trying and using a version ---------------------------------------------

    def what_if_view(self, request, object_id):
        table = self._viewable(request, object_id)
        if request.method == "POST":
            if not self.has_activate_permission(request):
                raise PermissionDenied
            if self._activate(request, table):
                return HttpResponseRedirect(self._url("change", table))
            return HttpResponseRedirect(self._url("what_if", table))
        result = what_if(candidate=table)
        context = {
            **self._context(request, table, _("What if this version decided?")),
            "result": result,
            "transitions": [
                {"old": _outcome(old), "new": _outcome(new), "count": count}
                for old, new, count in result.transitions
            ],
            "examples": [
                {
                    **example,
                    "old_outcome": _outcome(example["old_outcome"]),
                    "new_outcome": _outcome(example["new_outcome"]),
                }
                for example in result.examples
            ],
            "active": table.service.decision_table,
            "can_activate": self.has_activate_permission(request),
        }
        return TemplateResponse(
            request, "admin/rules/decisiontable/what_if.html", context
        )

    def _activate(self, request, table) -> bool:
        try:
            services.activate_table(table=table, by=request.user)
        except ValidationError as error:
            self.message_user(
                request,
                format_html(
                    "{} <ul>{}</ul>",
                    _(
                        "Version %(version)d of “%(key)s” cannot be used for new "
                        "decisions; nothing was changed:"
                    )
                    % {"version": table.version, "key": table.key},
                    format_html_join("", "<li>{}</li>", ((m,) for m in error.messages)),
                ),
                messages.ERROR,
            )
            return False
        self.log_change(request, table, _("Used for new decisions."))
        self.message_user(
            request,
            _(
                "“%(service)s” now uses version %(version)d of “%(key)s” for new "
                "decisions."
            )
            % {"service": table.service, "version": table.version, "key": table.key},
            messages.SUCCESS,
        )
        return True

    @admin.action(
        description=gettext_lazy("Use for new decisions"), permissions=["activate"]
    )
    def use_for_new_decisions(self, request, queryset):
        chosen = list(queryset.select_related("service"))
        if len({table.service_id for table in chosen}) < len(chosen):
            self.message_user(
                request,
                _("Choose one version for each service."),
                messages.ERROR,
            )
            return
        for table in chosen:
            self._activate(request, table)


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = [
        "case_reference",
        "kind",
        "outcome",
        "automated",
        "table_version",
        "made_at",
        "made_by",
    ]
    list_filter = ["kind", "outcome", "automated"]
    list_select_related = ["case", "made_by"]
    search_fields = ["case__reference"]
    date_hierarchy = "made_at"

    @admin.display(description=gettext_lazy("case"), ordering="case__reference")
    def case_reference(self, decision):
        return decision.case.reference

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A decision is never edited: an override is a new decision.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
