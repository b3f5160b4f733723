from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from medborg.accounts.models import Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (
            _("Shown to citizens"),
            {"fields": ["public_name", "show_name_to_citizens", "is_demo"]},
        ),
    ]
    readonly_fields = ["is_demo"]
    list_display = ["username", "email", "is_active", "is_staff", "is_demo"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # A system administrator manages accounts and roles, but cannot make
            # anyone, themselves included, a superuser or hand out single rights.
            fields += ["is_superuser", "user_permissions"]
        return fields

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if not request.user.is_superuser:
            users = users.filter(is_superuser=False)
        return users


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email"]
    filter_horizontal = ["members"]
    prepopulated_fields = {"slug": ["name"]}
