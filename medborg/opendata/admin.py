"""The admin for open data: municipalities to compare with, and the snapshots' progress.

Operators register a municipality by its code, with the address of its
Kolada-shaped figures (fetched nightly, or now with the list's action) or
without one, to upload a file instead; both go through ``opendata.peers``.
The snapshots' progress is read-only: its actions only enqueue a recompute,
which a worker runs. Every page and action asks the model's permissions.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from medborg.opendata import peers, tasks
from medborg.opendata.kolada import KoladaFormatError
from medborg.opendata.models import Peer, PeerValue, Progress

UPLOAD_MB = peers.MAX_BYTES // (1024 * 1024)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Kolada-shaped CSV file"),
        help_text=gettext_lazy(
            "UTF-8, columns kpi, municipality_id, period and value (gender, count "
            "and status optional), separated by , or ; as Excel saves them; at "
            "most 20 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > peers.MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(size)d MB.") % {"size": UPLOAD_MB},
                code="too_large",
            )
        return upload


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "municipality_code",
        "url",
        "active",
        "fetched_at",
        "fetch_error",
        "figure_count",
    ]
    list_filter = ["active"]
    search_fields = ["name", "municipality_code"]
    # Django 6 assumes https for an address typed without a scheme; so does this.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["fetch_now"]
    fields = [
        ("name", "municipality_code"),
        "url",
        "active",
        ("fetched_at", "fetch_error"),
        "figures",
    ]
    # Written by fetches and uploads, not by hand.
    readonly_fields = ["fetched_at", "fetch_error", "figures"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(figure_count=Count("values"))

    @admin.display(description=gettext_lazy("figures"), ordering="figure_count")
    def figure_count(self, peer):
        return peer.figure_count

    @admin.display(description=gettext_lazy("figures"))
    def figures(self, peer):
        if peer.pk is None:
            return _("Save the municipality first, then upload a file or fetch.")
        count = PeerValue.objects.filter(peer=peer).count()
        return format_html(
            '{} <a href="{}">{}</a>',
            ngettext("%(count)d figure stored.", "%(count)d figures stored.", count)
            % {"count": count},
            self._upload_url(peer),
            _("Upload a Kolada-shaped CSV"),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/upload/",
                self.admin_site.admin_view(self.upload_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_upload",
            ),
            *super().get_urls(),
        ]

    def _upload_url(self, peer):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_upload",
            args=[peer.pk],
            current_app=self.admin_site.name,
        )

    def upload_view(self, request, object_id):
        """Replace a peer's figures with an uploaded file's; refusals: form errors."""
        peer = self.get_object(request, object_id)
        if peer is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, peer):
            raise PermissionDenied
        form = UploadForm()
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid() and self._import(request, peer, form):
                return HttpResponseRedirect(
                    reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                        args=[peer.pk],
                        current_app=self.admin_site.name,
                    )
                )
        response = self._render_upload(request, peer, form)
        if form.is_bound:
            response.status_code = 400
        return response

    def _import(self, request, peer, form) -> bool:
        upload = form.cleaned_data["file"]
        try:
            stored = peers.import_file(peer=peer, content=upload.read())
        except KoladaFormatError as error:
            form.add_error("file", str(error))
            return False
        message = ngettext(
            "%(name)s: %(count)d figure of %(peer)s stored.",
            "%(name)s: %(count)d figures of %(peer)s stored.",
            stored,
        ) % {"name": upload.name, "count": stored, "peer": peer}
        self.log_change(request, peer, message)
        self.message_user(request, message, messages.SUCCESS)
        return True

    def _render_upload(self, request, peer, form):
        # Django's change form, holding only the file field: no template of its own.
        adminform = helpers.AdminForm(
            form,
            [(None, {"fields": ["file"]})],
            prepopulated_fields={},
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload a Kolada-shaped CSV for %(peer)s") % {"peer": peer},
            "subtitle": None,
            "adminform": adminform,
            "object_id": peer.pk,
            "original": peer,
            "is_popup": False,
            "to_field": None,
            "media": self.media + adminform.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            "show_delete": False,
        }
        return self.render_change_form(request, context, change=True, obj=peer)

    @admin.action(
        description=gettext_lazy("Fetch now from their addresses"),
        permissions=["change"],
    )
    def fetch_now(self, request, queryset):
        without = queryset.filter(url="").count()
        for peer in queryset.exclude(url=""):
            stored = peers.fetch(peer=peer)
            if stored:
                self.message_user(
                    request,
                    ngettext(
                        "%(peer)s: %(count)d figure stored.",
                        "%(peer)s: %(count)d figures stored.",
                        stored,
                    )
                    % {"peer": peer, "count": stored},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("%(peer)s: %(error)s; the figures stored before are kept.")
                    % {"peer": peer, "error": peer.fetch_error},
                    messages.ERROR,
                )
        if without:
            self.message_user(
                request,
                ngettext(
                    "%(count)d municipality has no address: upload its file.",
                    "%(count)d municipalities have no address: upload their files.",
                    without,
                )
                % {"count": without},
                messages.WARNING,
            )


@admin.register(Progress)
class ProgressAdmin(admin.ModelAdmin):
    list_display = ["last_event_id", "computed_at", "recomputed_from", "seconds"]
    actions = ["update_snapshots", "recompute_all"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_recompute_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.change_progress")

    def _enqueue(self, request, task):
        transaction.on_commit(task.enqueue)
        self.message_user(
            request,
            _(
                "The recompute is queued; a worker runs it and this page shows "
                "when it finished."
            ),
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Recompute the open data now"),
        permissions=["recompute"],
    )
    def update_snapshots(self, request, queryset):
        self._enqueue(request, tasks.update_snapshots)

    @admin.action(
        description=gettext_lazy("Recompute every period from the first event"),
        permissions=["recompute"],
    )
    def recompute_all(self, request, queryset):
        self._enqueue(request, tasks.recompute_all)
