from django.contrib import admin

from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from medborg.processes.models import Process, Step


class StepInline(TranslationStackedInline):
    model = Step
    extra = 0
    fields = [
        ("key", "position", "team", "expected_days", "is_final"),
        "name",
        "public_description",
    ]


@admin.register(Process)
class ProcessAdmin(TranslationAdmin):
    list_display = ["name", "key", "version", "created_at"]
    inlines = [StepInline]
