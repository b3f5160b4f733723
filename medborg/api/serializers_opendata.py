"""Open data: the indicators' definitions and the published figures.

Indicators are serialized here. The figures' answer is written by
``opendata.tables.json_chunks``, the same writer as the downloadable JSON file,
so the API and the file never differ in a number's rounding; its serializers
only document that answer.

Keys such as units, scopes and granularities are strings, not enums: new
indicators may bring new values, and clients must accept them.
"""

from django.utils.translation import gettext_lazy as _

from rest_framework import serializers


class IndicatorSerializer(serializers.Serializer):
    """An ``opendata.indicators.Indicator``, in the request's language."""

    id = serializers.CharField(
        help_text=_("Stable: a new definition gets a new id, e.g. received.")
    )
    group = serializers.CharField(
        help_text=_("The indicator's group, a stable key, e.g. demand or speed.")
    )
    title = serializers.CharField()
    unit = serializers.CharField(
        help_text=_("A stable key, e.g. cases, days, working_days or percent.")
    )
    unit_label = serializers.CharField(help_text=_("The unit, for people."))
    definition = serializers.CharField(
        help_text=_("How the figure is counted, from which case events.")
    )
    about_people = serializers.BooleanField(
        help_text=_(
            "Whether the figure counts cases or answers; then figures resting on "
            "few of them are suppressed."
        )
    )
    scopes = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "What the figures are given for: municipality, category, service, area."
        ),
    )


class MunicipalitySerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=_("Official code: 4 digits for Sweden (SCB), 3 for Denmark.")
    )
    name = serializers.CharField()


class FiguresMetaSerializer(serializers.Serializer):
    version = serializers.CharField(
        help_text=_(
            "When the figures were last computed (ISO 8601), or none before the "
            "first run; changes with every recomputation."
        )
    )
    licence = serializers.CharField(help_text=_("SPDX identifier, e.g. CC0-1.0."))
    suppressed_below = serializers.IntegerField(
        help_text=_(
            "A figure about people resting on fewer cases or answers than this "
            "(but more than none) is published without value and count."
        )
    )
    municipality = MunicipalitySerializer()


class FigureSerializer(serializers.Serializer):
    """One figure; the keys are ``opendata.tables.COLUMNS``."""

    indicator = serializers.CharField(help_text=_("The indicator's id."))
    granularity = serializers.CharField(help_text=_("month or quarter."))
    period = serializers.CharField(
        help_text=_("2026-11 for a month, 2026-Q4 for a quarter.")
    )
    period_start = serializers.DateField(help_text=_("The period's first day."))
    scope = serializers.CharField(
        help_text=_("municipality, category, service or area.")
    )
    scope_key = serializers.CharField(
        help_text=_(
            "The service's code, the category's key or the area's key; empty for "
            "the whole municipality."
        )
    )
    scope_name = serializers.CharField(help_text=_("In the request's language."))
    value = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Rounded to 4 decimals; null when suppressed or undefined (a median "
            "of no cases)."
        ),
    )
    unit = serializers.CharField(help_text=_("The indicator's unit key."))
    count = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "The cases, answers, steps or decisions the figure rests on; null "
            "when suppressed."
        ),
    )
    suppressed = serializers.BooleanField(
        help_text=_("True when too few cases or answers to publish the figure.")
    )


class FiguresSerializer(serializers.Serializer):
    meta = FiguresMetaSerializer()
    figures = FigureSerializer(many=True)
