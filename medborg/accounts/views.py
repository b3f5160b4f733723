"""Where a member of staff lands after signing in."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.decorators.http import require_GET


@require_GET
@login_required
def start(request):
    """Send the user to the page their role works from.

    Case workers and team leads get the inbox, operators the day's route plan,
    drivers their own routes and administrators the admin; an account without
    a role is refused (403) rather than sent to a page it may not open.
    """
    user = request.user
    if user.works_on_cases():
        return redirect("staff:inbox")
    if user.has_perm("routing.view_routeplan"):
        return redirect("routing:index")
    if user.has_perm("routing.view_route"):
        return redirect("routing:mine")
    if user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied
