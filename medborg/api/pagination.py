"""Page numbers over a stable order: views order by a unique column last."""

from django.core.paginator import InvalidPage, PageNotAnInteger
from django.utils.translation import gettext_lazy as _

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class StablePagination(PageNumberPagination):
    """``page`` (from 1) and ``page_size`` (1–200, default 50).

    A page that is not a positive whole number is a 400 naming ``page``; a
    page past the last one is a 404, as a missing item is.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        number = request.query_params.get(self.page_query_param) or 1
        try:
            self.page = paginator.page(number)
        except PageNotAnInteger as error:
            raise ValidationError(
                {"page": [_("Give the page as a whole number from 1.")]},
                code="invalid_page",
            ) from error
        except InvalidPage as error:
            if not str(number).isdigit() or int(number) < 1:
                raise ValidationError(
                    {"page": [_("Give the page as a whole number from 1.")]},
                    code="invalid_page",
                ) from error
            message = _("There is no page %(page)s.") % {"page": number}
            raise NotFound(message) from error
        return list(self.page)
