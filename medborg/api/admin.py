from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from medborg.api import services
from medborg.api.models import ApiKey, Scope


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Reading public data needs no key and no scope."),
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "user", "rate", "contact_email"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Issue keys (shown once, after saving), change their scopes, revoke them.

    Keys are never deleted: the cases a key sent keep pointing at it.
    """

    form = ApiKeyForm
    list_display = [
        "name",
        "prefix",
        "scope_list",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "contact_email"]
    readonly_fields = [
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    autocomplete_fields = []
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, key):
        return ", ".join(key.scopes) or "—"

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = services.issue_key(
            name=obj.name,
            scopes=form.cleaned_data["scopes"],
            user=obj.user,
            rate=obj.rate,
            contact_email=obj.contact_email,
            by=request.user,
        )
        obj.pk = key.pk
        obj.prefix = key.prefix
        messages.warning(
            request,
            _(
                "The new key is %(key)s. Copy it now and give it to the client "
                "application: it is stored only as a hash and will not be shown again."
            )
            % {"key": raw},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_key(key=key, by=request.user)
        self.message_user(
            request, _("%(count)d keys revoked.") % {"count": queryset.count()}
        )
