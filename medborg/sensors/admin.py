"""The operators' admin for bins and sensors, and the readings they send.

Operators edit bins and sensors, or import them from a file through the same
service as ``manage.py import_assets``: the file is checked and the report
shown before anything is written. Readings, quarantined readings and bin cases
are read-only here: readings come from sensors, cases move through ``cases``.
"""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medborg import municipality
from medborg.sensors import imports
from medborg.sensors.models import Bin, BinCase, Device, QuarantinedReading, Reading
from medborg.sensors.services.assets import IMPORTERS

MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_SALT = "medborg.sensors.admin.import"
WEEKDAY_CHOICES = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]


# Importing -------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or GeoJSON file"),
        help_text=gettext_lazy(
            "UTF-8, columns separated by , or ; as Excel saves them; at most 5 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.geojson,.json"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than 5 MB."), code="too_large")
        return upload


class ImportMixin:
    """An "Import from CSV or GeoJSON" page on the change list.

    The upload is checked with a dry run and the report shown; the file then
    travels signed and compressed in the confirmation form, so what is written
    is exactly what was checked.
    """

    import_kind = ""
    change_list_template = "admin/sensors/import_change_list.html"

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{info}_import",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "import_url": self.has_import_permission(request)
            and reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import",
                current_app=self.admin_site.name,
            ),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import %(things)s from CSV or GeoJSON")
            % {"things": self.opts.verbose_name_plural},
            "kind": self.import_kind,
            "columns": imports.COLUMNS[self.import_kind],
            "required": imports.REQUIRED[self.import_kind],
        }
        form = ImportForm()
        if request.method == "POST" and "payload" in request.POST:
            return self._confirm(request)
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                context.update(self._preview(request, form))
        context["form"] = form
        status = 400 if form.is_bound and form.errors else 200
        return TemplateResponse(
            request, "admin/sensors/import_form.html", context, status=status
        )

    def _preview(self, request, form) -> dict:
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            report = self._run(data, upload.name, by=request.user, dry_run=True)
        except imports.FileRefused as error:
            form.add_error("file", str(error))
            return {}
        return {
            "report": report,
            "payload": signing.dumps(
                {"name": upload.name, "text": data.decode("utf-8-sig")},
                salt=IMPORT_SALT,
                compress=True,
            ),
        }

    def _confirm(self, request):
        try:
            payload = signing.loads(request.POST["payload"], salt=IMPORT_SALT)
        except signing.BadSignature:
            raise PermissionDenied from None
        try:
            report = self._run(
                payload["text"].encode("utf-8"),
                payload["name"],
                by=request.user,
                dry_run=False,
            )
        except imports.FileRefused as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                _(
                    "%(name)s imported: %(created)d created, %(updated)d updated, "
                    "%(unchanged)d unchanged, %(refused)d refused."
                )
                % {
                    "name": payload["name"],
                    "created": len(report.created),
                    "updated": len(report.updated),
                    "unchanged": len(report.unchanged),
                    "refused": len(report.refused),
                },
                messages.SUCCESS if report.ok else messages.WARNING,
            )
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                current_app=self.admin_site.name,
            )
        )

    def _run(self, data: bytes, name: str, *, by, dry_run: bool):
        """Parse and import through the service; raises ``imports.FileRefused``."""
        parsed = imports.parse(self.import_kind, data, name=name)
        return IMPORTERS[self.import_kind](
            records=parsed.records, by=by, dry_run=dry_run, refused=parsed.refused
        )


# Bins and sensors -------------------------------------------------------------


class BinForm(forms.ModelForm):
    window_weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("days it may be emptied"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    round_weekday = forms.TypedChoiceField(
        label=gettext_lazy("collection day"),
        choices=[("", gettext_lazy("Any day it may be emptied")), *WEEKDAY_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=Bin._meta.get_field("round_weekday").help_text,
    )

    class Meta:
        model = Bin
        fields = [
            "code",
            "name",
            "latitude",
            "longitude",
            "active",
            "fraction",
            "volume_litres",
            "threshold_percent",
            "area",
            "depot",
            "window_weekdays",
            "window_start",
            "window_end",
            "round_weekday",
        ]

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (
            latitude is not None
            and longitude is not None
            and not municipality.contains(latitude, longitude)
        ):
            self.add_error(
                "latitude",
                _("%(latitude)s, %(longitude)s is outside %(municipality)s.")
                % {
                    "latitude": latitude,
                    "longitude": longitude,
                    "municipality": settings.MUNICIPALITY_NAME,
                },
            )
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            self.add_error("window_end", _("The window must end after it starts."))
        return data


@admin.register(Bin)
class BinAdmin(ImportMixin, admin.ModelAdmin):
    import_kind = "bins"
    form = BinForm
    list_display = [
        "code",
        "name",
        "fraction",
        "volume_litres",
        "threshold_percent",
        "area",
        "depot",
        "active",
    ]
    list_filter = ["active", "fraction", "depot", "area"]
    list_select_related = ["depot"]
    search_fields = ["code", "name", "area"]
    fieldsets = [
        (None, {"fields": [("code", "name"), ("latitude", "longitude"), "active"]}),
        (
            gettext_lazy("Contents"),
            {"fields": [("fraction", "volume_litres"), "threshold_percent"]},
        ),
        (
            gettext_lazy("Collection"),
            {
                "fields": [
                    ("area", "depot"),
                    "window_weekdays",
                    ("window_start", "window_end"),
                    "round_weekday",
                ]
            },
        ),
    ]


@admin.register(Device)
class DeviceAdmin(ImportMixin, admin.ModelAdmin):
    import_kind = "devices"
    list_display = [
        "identifier",
        "bin",
        "last_seen_at",
        "battery_percent",
        "fault",
        "fault_since",
    ]
    list_filter = ["fault", "last_seen_at"]
    list_select_related = ["bin"]
    search_fields = ["identifier", "bin__code", "bin__name"]
    autocomplete_fields = ["bin"]
    fields = [
        "identifier",
        "bin",
        ("empty_distance_mm", "full_distance_mm"),
        ("last_seen_at", "battery_percent"),
        ("fault", "fault_since"),
    ]
    # Written by the readings and the fault detection, not by hand.
    readonly_fields = ["last_seen_at", "battery_percent", "fault", "fault_since"]

    def save_model(self, request, obj, form, change):
        obj.identifier = imports.normalise_identifier(obj.identifier)
        super().save_model(request, obj, form, change)


# Readings ----------------------------------------------------------------------


class TextFilter(admin.SimpleListFilter):
    """A filter typed in, for tables too large to list every choice."""

    template = "admin/sensors/text_filter.html"
    lookup = ""

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def choices(self, changelist):
        return [
            {
                "value": self.value() or "",
                "parameter": self.parameter_name,
                "hidden": {
                    key: value
                    for key, value in changelist.get_filters_params().items()
                    if key != self.parameter_name
                },
            }
        ]

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(**{self.lookup: value}) if value else queryset


class BinFilter(TextFilter):
    title = gettext_lazy("bin")
    parameter_name = "bin"
    lookup = "bin__code"


class DeviceFilter(TextFilter):
    title = gettext_lazy("sensor")
    parameter_name = "device"
    lookup = "device__identifier"

    def queryset(self, request, queryset):
        value = imports.normalise_identifier(self.value() or "")
        return queryset.filter(device__identifier=value) if value else queryset


class CappedPaginator(Paginator):
    """Count at most ``cap`` rows: enough pages to browse, no scan of the table.

    Older readings are reached by narrowing the list by date, bin or sensor.
    """

    cap = 10_000

    @cached_property
    def count(self):
        return self.object_list.order_by()[: self.cap].count()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    list_display = [
        "measured_at",
        "device",
        "bin",
        "fill_percent",
        "distance_mm",
        "battery_percent",
        "temperature_c",
        "source",
        "received_at",
    ]
    list_filter = [BinFilter, DeviceFilter, "source"]
    list_select_related = ["device", "bin"]
    date_hierarchy = "measured_at"
    ordering = ["-measured_at"]
    # Counting every reading for "n total" would scan the whole table.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedPaginator
    list_per_page = 100


@admin.register(QuarantinedReading)
class QuarantinedReadingAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "device_identifier",
        "measured_at",
        "reason",
        "detail",
        "source",
    ]
    list_filter = ["reason", "source", "received_at"]
    search_fields = ["device_identifier", "detail"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    fields = [
        ("received_at", "source"),
        ("device_identifier", "measured_at"),
        ("reason", "detail"),
        "readable_payload",
    ]
    readonly_fields = [
        "received_at",
        "source",
        "device_identifier",
        "measured_at",
        "reason",
        "detail",
        "readable_payload",
    ]

    @admin.display(description=gettext_lazy("as received"))
    def readable_payload(self, reading):
        return format_html(
            "<pre>{}</pre>", json.dumps(reading.payload, indent=2, ensure_ascii=False)
        )

    def has_delete_permission(self, request, obj=None):
        # Operators clear what they have dealt with; the model permission decides.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(BinCase)
class BinCaseAdmin(ReadOnlyAdmin):
    list_display = [
        "case_reference",
        "bin",
        "kind",
        "is_open",
        "reason",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["kind", "is_open", "reason"]
    list_select_related = ["bin", "case"]
    search_fields = ["bin__code", "case__reference"]
    date_hierarchy = "opened_at"

    @admin.display(description=gettext_lazy("case"), ordering="case__reference")
    def case_reference(self, link):
        return link.case.reference
