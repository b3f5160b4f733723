"""The operators' admin for depots and vehicles, and the stored route plans.

Vehicles can be imported from a file like bins and sensors (see
``medborg.sensors.admin.ImportMixin``). Plans, routes and stops are read-only:
a plan is made by the planner and stops are marked by drivers.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy

from medborg.accounts.roles import Role
from medborg.routing.models import Depot, Route, RoutePlan, Stop, Vehicle
from medborg.sensors.admin import ImportMixin, ReadOnlyAdmin
from medborg.sensors.models import Fraction


class VehicleForm(forms.ModelForm):
    fractions = forms.MultipleChoiceField(
        label=gettext_lazy("waste fractions it carries"),
        choices=Fraction.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Vehicle
        fields = [
            "code",
            "name",
            "depot",
            "active",
            "capacity_litres",
            "capacity_kg",
            "shift_start",
            "shift_end",
            "fractions",
            "driver",
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("shift_start"), data.get("shift_end")
        if start and end and start >= end:
            self.add_error(
                "shift_end", gettext_lazy("The shift must end after it starts.")
            )
        return data


@admin.register(Depot)
class DepotAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "latitude", "longitude"]
    search_fields = ["code", "name"]


@admin.register(Vehicle)
class VehicleAdmin(ImportMixin, admin.ModelAdmin):
    import_kind = "vehicles"
    form = VehicleForm
    list_display = [
        "code",
        "name",
        "depot",
        "capacity_litres",
        "capacity_kg",
        "shift_start",
        "shift_end",
        "active",
    ]
    list_filter = ["active", "depot"]
    list_select_related = ["depot"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": [("code", "name"), "depot", "active"]}),
        (
            gettext_lazy("Capacity and shift"),
            {
                "fields": [
                    ("capacity_litres", "capacity_kg"),
                    ("shift_start", "shift_end"),
                    "fractions",
                    "driver",
                ]
            },
        ),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "driver":
            # Offer drivers only: operators need not see every staff account.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(groups__name=Role.DRIVER, is_active=True)
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RouteInline(admin.TabularInline):
    model = Route
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "vehicle",
        "distance_m",
        "duration_s",
        "load_litres",
        "load_kg",
        "starts_at",
        "ends_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RoutePlan)
class RoutePlanAdmin(ReadOnlyAdmin):
    list_display = [
        "date",
        "created_at",
        "created_by",
        "distance_m",
        "baseline_distance_m",
        "duration_s",
        "distance_source",
    ]
    list_filter = ["distance_source"]
    list_select_related = ["created_by"]
    date_hierarchy = "date"
    inlines = [RouteInline]


class StopInline(admin.TabularInline):
    model = Stop
    extra = 0
    can_delete = False
    fields = [
        "position",
        "bin",
        "optional",
        "arrives_at",
        "load_litres_after",
        "status",
        "skip_reason",
        "done_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Route)
class RouteAdmin(ReadOnlyAdmin):
    list_display = [
        "plan",
        "vehicle",
        "distance_m",
        "duration_s",
        "load_litres",
        "starts_at",
        "ends_at",
    ]
    list_filter = ["plan__date", "vehicle"]
    list_select_related = ["plan", "vehicle"]
    inlines = [StopInline]


@admin.register(Stop)
class StopAdmin(ReadOnlyAdmin):
    list_display = [
        "route",
        "position",
        "bin",
        "optional",
        "arrives_at",
        "status",
        "skip_reason",
        "done_at",
    ]
    list_filter = ["status", "optional", "route__plan__date"]
    list_select_related = ["route__plan", "route__vehicle", "bin"]
    search_fields = ["bin__code"]
