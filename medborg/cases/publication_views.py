"""Staff choose what of a case everyone may see (Open311, public API, maps)."""

from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medborg.cases import services
from medborg.cases.staff_forms import PublishForm
from medborg.cases.staff_views import _form_action, case_worker_required


@require_POST
@case_worker_required
def publish(request, reference):
    return _form_action(
        request,
        reference,
        "publish_form",
        lambda case: PublishForm(request.POST, case=case),
        lambda case, data: services.publish_case(
            case=case,
            public_description=data["public_description"],
            media_public=data.get("media_public", False),
            photo_ids=[photo.pk for photo in data["photos"]],
            by=request.user,
            expected_state=data["state"],
        ),
        _("What is published is saved."),
    )
