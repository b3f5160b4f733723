from django.shortcuts import render
from django.views.decorators.http import require_GET

from medborg.catalog.selectors import catalog


@require_GET
def index(request):
    """The catalog, optionally narrowed by the words in ``?q=``."""
    # PostgreSQL text cannot hold NUL; nobody searches for one.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    categories = catalog(query)
    return render(
        request,
        "catalog/index.html",
        {
            "categories": categories,
            "query": query,
            "count": sum(len(c.services.all()) for c in categories),
        },
    )
