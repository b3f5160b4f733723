"""The staff workspace: a team's cases, one case, and the actions on it."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from medborg.cases import payloads, selectors, services
from medborg.cases.lifecycle import InvalidMove
from medborg.cases.staff_forms import AssignForm, MoveForm, NoteForm
from medborg.cases.views import map_context


def case_worker_required(view):
    """Signed in, and holding a role that works on cases; 403 otherwise."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.works_on_cases():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _case_or_404(request, reference):
    case = selectors.staff_case(request.user, reference)
    if case is None:
        raise Http404
    return case


@require_GET
@case_worker_required
def inbox(request):
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    return render(
        request,
        "cases/staff/inbox.html",
        {"cases": selectors.staff_cases(request.user, query=query), "query": query},
    )


def _render_case(request, case, *, move_form=None, note_form=None, status=200):
    return render(
        request,
        "cases/staff/case.html",
        {
            "case": case,
            "events": case.events.all(),
            "answers": payloads.answer_rows(
                case.service.questions.prefetch_related("choices"), case.answers
            ),
            "photos": selectors.photos(case),
            "step_names": selectors.step_names(case),
            "team": case.holding_team,
            "move_form": move_form or MoveForm(case=case),
            "note_form": note_form or NoteForm(),
            "map": map_context(),
        },
        status=status,
    )


@require_GET
@case_worker_required
def case_detail(request, reference):
    return _render_case(request, _case_or_404(request, reference))


@require_POST
@case_worker_required
def assign(request, reference):
    case = _case_or_404(request, reference)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400)
    assignee = request.user if form.cleaned_data["assign"] == "me" else None
    services.assign_case(case=case, assignee=assignee, by=request.user)
    messages.success(
        request,
        _("The case is assigned to you.") if assignee else _("The case is unassigned."),
    )
    return redirect("staff:case", reference=case.reference)


@require_POST
@case_worker_required
def move(request, reference):
    case = _case_or_404(request, reference)
    form = MoveForm(request.POST, case=case)
    if not form.is_valid():
        return _render_case(request, case, move_form=form, status=400)
    try:
        services.move_case_to_step(
            case=case,
            step=form.cleaned_data["step"],
            public_message=form.cleaned_data["public_message"],
            by=request.user,
        )
    except InvalidMove:
        form.add_error("step", _("A closed case cannot be moved to another step."))
        return _render_case(request, case, move_form=form, status=400)
    except ValueError:
        # Someone else moved the case meanwhile (a double submit, a colleague).
        form.add_error("step", _("The case has just changed; check its step again."))
        return _render_case(request, case, move_form=form, status=400)
    messages.success(request, _("The case has moved to the new step."))
    return redirect("staff:case", reference=case.reference)


@require_POST
@case_worker_required
def note(request, reference):
    case = _case_or_404(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, note_form=form, status=400)
    services.add_note(case=case, text=form.cleaned_data["text"], by=request.user)
    messages.success(request, _("The note is saved."))
    return redirect("staff:case", reference=case.reference)


@require_GET
@case_worker_required
def photo(request, reference, photo_id, size="full"):
    case = _case_or_404(request, reference)
    attachment = get_object_or_404(case.attachments, pk=photo_id)
    file = attachment.thumbnail if size == "thumbnail" else attachment.image
    response = FileResponse(file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-cache"
    return response
