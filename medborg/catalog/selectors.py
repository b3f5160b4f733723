"""Read the service catalog as citizens see it."""

from django.conf import settings
from django.db.models import Prefetch, Q

from medborg.catalog.models import Category, Service

SEARCHED_FIELDS = ("name", "short_description", "keywords")


def offered_services():
    """Active services that citizens and client applications may use: not tasks."""
    return Service.objects.filter(is_active=True).exclude(kind=Service.Kind.TASK)


def active_services():
    return offered_services().select_related("category")


def search_filter(words: str) -> Q:
    """Match every word in any language's name, description or search words."""
    condition = Q()
    for word in words.split()[:8]:
        any_field = Q()
        for field in SEARCHED_FIELDS:
            for language, _name in settings.LANGUAGES:
                any_field |= Q(**{f"{field}_{language}__icontains": word})
        condition &= any_field
    return condition


def catalog(query: str = "") -> list[Category]:
    """Categories with their active services matching ``query``; empty ones left out."""
    services = offered_services()
    if query:
        services = services.filter(search_filter(query))
    categories = Category.objects.prefetch_related(
        Prefetch("services", queryset=services.order_by("position", "pk"))
    ).order_by("position", "pk")
    return [category for category in categories if category.services.all()]
