"""The staff workspace: a team's inbox, one case, and the actions on it.

Each view authorizes (signed in, a case role, a seat on the case's team or
service team; some actions need a further permission), validates its form,
calls one service and redirects. Invalid input re-renders the case page with
the form's errors and status 400; a case that changed meanwhile answers 409.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from medborg.accounts.models import User
from medborg.cases import inbox as inbox_selectors
from medborg.cases import payloads, selectors, services
from medborg.cases.lifecycle import InvalidMove, Status, is_open
from medborg.cases.staff_forms import (
    AssignForm,
    DuplicateForm,
    ExtendForm,
    InboxFilterForm,
    MoveForm,
    NoteForm,
    PublishForm,
    ReferForm,
    ReopenForm,
    RequestInformationForm,
)
from medborg.cases.views import map_context

PAGE_SIZE = 50


def case_worker_required(view):
    """Signed in, and holding a role that works on cases; 403 otherwise."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.works_on_cases():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def permission(name):
    """Refuse with 403 unless the user holds ``name`` (checked before the case)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(name):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _case_or_404(request, reference):
    case = selectors.staff_case(request.user, reference)
    if case is None:
        raise Http404
    return case


@require_GET
@case_worker_required
def inbox(request):
    team_ids = selectors.team_ids(request.user)
    choices = inbox_selectors.filter_choices(team_ids)
    form = InboxFilterForm(request.GET or None, choices=choices)
    selection = form.selection()
    now = timezone.now()
    cases = inbox_selectors.inbox_cases(selection, request.user, now)
    view = "map" if request.GET.get("view") == "map" else "list"
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/staff/inbox.html",
        {
            "form": form,
            "page": page,
            "view": view,
            "now": now,
            "counts": inbox_selectors.inbox_counts(selection, request.user, now),
            "points": inbox_selectors.map_points(cases, now) if view == "map" else [],
            "map": map_context(),
            "query": query.urlencode(),
            "list_query": _with(query, view="list"),
            "map_query": _with(query, view="map"),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _with(query, **values):
    changed = query.copy()
    for key, value in values.items():
        changed[key] = value
    return changed.urlencode()


def _colleagues(case):
    return list(
        User.objects.filter(teams=case.team_id, is_active=True).order_by(
            "first_name", "username"
        )
    )


def _forms(case, user, bound):
    state = {"state": services.state_of(case)}
    forms = {
        "move_form": MoveForm(initial=state, steps=selectors.allowed_steps(case)),
        "note_form": NoteForm(),
        "assign_form": AssignForm(
            colleagues=_colleagues(case) if user.has_perm("cases.assign_others") else ()
        ),
        "info_form": RequestInformationForm(initial=state),
        "extend_form": ExtendForm(initial=state),
        "duplicate_form": DuplicateForm(initial=state),
        "refer_form": ReferForm(initial=state, case=case),
        "reopen_form": ReopenForm(initial=state, steps=selectors.reopen_steps(case)),
        "publish_form": PublishForm(
            initial={
                **state,
                "public_description": case.public_description,
                "media_public": case.media_public,
                "photos": [p.pk for p in case.attachments.all() if p.is_public],
            },
            case=case,
        ),
    }
    forms.update(bound)
    return forms


def _decisions(case, user, bound):
    # The rules app builds on this module, so it is imported when needed.
    from medborg.rules.staff_views import case_context

    return case_context(case, user, bound)


def _render_case(request, case, *, status=200, **bound):
    user = request.user
    reopen_until = services.reopen_until(case)
    context = {
        "case": case,
        "events": case.events.all(),
        "answers": payloads.answer_rows(
            case.service.questions.prefetch_related("choices"), case.answers
        ),
        "photos": selectors.photos(case),
        "step_names": selectors.step_names(case),
        "team": case.team,
        "map": map_context(),
        "is_open": is_open(case.status),
        "is_waiting": case.status == Status.WAITING_FOR_CITIZEN,
        "can_see_contact": user.has_perm("cases.view_contact"),
        "can_extend": user.has_perm("cases.extend_deadline"),
        "can_reopen": case.status == Status.CLOSED
        and reopen_until is not None
        and timezone.now() <= reopen_until,
        "reopen_until": reopen_until,
        "candidates": selectors.duplicate_candidates(case)
        if is_open(case.status)
        else [],
        "now": timezone.now(),
        **_forms(case, user, bound),
        **_decisions(case, user, bound),
    }
    return render(request, "cases/staff/case.html", context, status=status)


@require_GET
@case_worker_required
def case_detail(request, reference):
    return _render_case(request, _case_or_404(request, reference))


def _act(request, case, form_name, form, action, success):
    """Run ``action()``; map the services' refusals to the form's errors."""
    try:
        action()
    except services.StaleCase:
        form.add_error(
            None,
            _(
                "The case changed while you were looking at it: its step or status "
                "is now different. Check it again before you act."
            ),
        )
        fresh = _case_or_404(request, case.reference)
        return _render_case(request, fresh, status=409, **{form_name: form})
    except (InvalidMove, services.ReopenExpired, ValueError) as error:
        # StepNotAllowed and DeadlineNotSet are ValueErrors too; other
        # ValueErrors are refusals that the form could not foresee.
        form.add_error(*_refusal(error))
        return _render_case(request, case, status=400, **{form_name: form})
    messages.success(request, success)
    return redirect("staff:case", reference=case.reference)


def _refusal(error) -> tuple[str | None, str]:
    """The form field (None: the whole form) and message for a refusal."""
    if isinstance(error, services.DeadlineNotSet):
        return "target", _("This deadline is not set, so it cannot move.")
    if isinstance(error, services.ReopenExpired):
        return None, _("The period for reopening this case has ended.")
    if isinstance(error, services.StepNotAllowed):
        return None, _("The process does not allow that move from the current step.")
    if isinstance(error, InvalidMove):
        return None, _("The case's status does not allow this now.")
    return None, _(
        "This is not possible for this case now; check its details and try again."
    )


def _form_action(request, reference, form_name, make_form, run, success):
    """Validate the action's form, run the service on the case, answer.

    ``make_form(case)`` builds the bound form; ``run(case, data)`` calls the
    service with the form's cleaned data and the state the actor saw.
    """
    case = _case_or_404(request, reference)
    form = make_form(case)
    if not form.is_valid():
        return _render_case(request, case, status=400, **{form_name: form})
    data = form.cleaned_data
    return _act(request, case, form_name, form, lambda: run(case, data), success)


@require_POST
@case_worker_required
def assign(request, reference):
    case = _case_or_404(request, reference)
    lead = request.user.has_perm("cases.assign_others")
    form = AssignForm(request.POST, colleagues=_colleagues(case) if lead else ())
    if not form.is_valid():
        return _render_case(request, case, status=400, assign_form=form)
    choice = form.cleaned_data["assign"]
    if choice == "me":
        assignee = request.user
    elif choice == "nobody":
        assignee = None
    else:
        assignee = get_object_or_404(User, pk=int(choice))
    return _act(
        request,
        case,
        "assign_form",
        form,
        lambda: services.assign_case(case=case, assignee=assignee, by=request.user),
        _("The case is assigned to %(name)s.")
        % {"name": assignee.get_full_name() or assignee.username}
        if assignee
        else _("The case is unassigned."),
    )


@require_POST
@case_worker_required
def move(request, reference):
    return _form_action(
        request,
        reference,
        "move_form",
        lambda case: MoveForm(request.POST, steps=selectors.allowed_steps(case)),
        lambda case, data: services.move_case_to_step(
            case=case,
            step=data["step"],
            public_message=data["public_message"],
            publish_message=data["publish_message"],
            by=request.user,
            expected_state=data["state"],
        ),
        _("The case has moved to the new step."),
    )


@require_POST
@case_worker_required
def note(request, reference):
    case = _case_or_404(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400, note_form=form)
    services.add_note(case=case, text=form.cleaned_data["text"], by=request.user)
    messages.success(request, _("The note is saved."))
    return redirect("staff:case", reference=case.reference)


@require_POST
@case_worker_required
def request_information(request, reference):
    return _form_action(
        request,
        reference,
        "info_form",
        lambda case: RequestInformationForm(request.POST),
        lambda case, data: services.request_information(
            case=case,
            question=data["question"],
            by=request.user,
            expected_state=data["state"],
        ),
        _("The citizen is asked; the clock stops until they answer."),
    )


@require_POST
@case_worker_required
@permission("cases.extend_deadline")
def extend(request, reference):
    return _form_action(
        request,
        reference,
        "extend_form",
        lambda case: ExtendForm(request.POST),
        lambda case, data: services.extend_deadline(
            case=case,
            target=data["target"],
            days=data["days"],
            reason=data["reason"],
            by=request.user,
            expected_state=data["state"],
        ),
        _("The deadline is extended."),
    )


@require_POST
@case_worker_required
def duplicate(request, reference):
    case = _case_or_404(request, reference)
    form = DuplicateForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400, duplicate_form=form)
    data = form.cleaned_data
    original = selectors.staff_case(request.user, data["original"])
    if original is None or original.pk == case.pk or not is_open(original.status):
        form.add_error(
            "original",
            _("Give the reference of another open case that you may work on."),
        )
        return _render_case(request, case, status=400, duplicate_form=form)
    return _act(
        request,
        case,
        "duplicate_form",
        form,
        lambda: services.mark_duplicate(
            case=case,
            original=original,
            public_message=data["public_message"],
            by=request.user,
            expected_state=data["state"],
        ),
        _("The case is closed as a duplicate of %(reference)s.")
        % {"reference": original.reference},
    )


@require_POST
@case_worker_required
def refer(request, reference):
    return _form_action(
        request,
        reference,
        "refer_form",
        lambda case: ReferForm(request.POST, case=case),
        lambda case, data: services.refer_case(
            case=case,
            public_message=data["public_message"],
            team=data["team"],
            organisation=data["organisation"],
            by=request.user,
            expected_state=data["state"],
        ),
        _("The case is referred."),
    )


@require_POST
@case_worker_required
def reopen(request, reference):
    return _form_action(
        request,
        reference,
        "reopen_form",
        lambda case: ReopenForm(request.POST, steps=selectors.reopen_steps(case)),
        lambda case, data: services.reopen_case(
            case=case,
            step=data["step"],
            reason=data["reason"],
            by=request.user,
            expected_state=data["state"],
        ),
        _("The case is open again."),
    )


@require_GET
@case_worker_required
def photo(request, reference, photo_id, size="full"):
    case = _case_or_404(request, reference)
    attachment = get_object_or_404(case.attachments, pk=photo_id)
    file = attachment.thumbnail if size == "thumbnail" else attachment.image
    response = FileResponse(file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-cache"
    return response
