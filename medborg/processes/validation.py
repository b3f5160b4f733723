"""Check that a process can carry every case from its first step to an outcome.

Pure: works on plain step descriptions, so the admin can check an edited
process before anything is saved.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class StepSpec:
    key: str
    position: int
    has_team: bool
    outcome: str
    next_steps: tuple[str, ...]


def _reachable(start: str, edges: dict[str, tuple[str, ...]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for key in edges.get(stack.pop(), ()):
            if key in edges and key not in seen:
                seen.add(key)
                stack.append(key)
    return seen


def _step_problems(step: StepSpec, keys) -> list[str]:
    found = []
    if not step.has_team:
        found.append(_("Step “%(key)s” has no team.") % {"key": step.key})
    unknown = [key for key in step.next_steps if key not in keys]
    if unknown:
        found.append(
            _("Step “%(key)s” moves to unknown steps: %(unknown)s.")
            % {"key": step.key, "unknown": ", ".join(unknown)}
        )
    if step.key in step.next_steps:
        found.append(_("Step “%(key)s” moves to itself.") % {"key": step.key})
    if step.outcome and step.next_steps:
        found.append(
            _("Outcome step “%(key)s” cannot move on; cases are reopened instead.")
            % {"key": step.key}
        )
    if not step.outcome and not step.next_steps:
        found.append(
            _("Step “%(key)s” moves nowhere and is not an outcome.") % {"key": step.key}
        )
    return found


def problems(steps: list[StepSpec]) -> list[str]:
    """Return every problem found, in plain words; an empty list means valid.

    Rules: at least one step; the first step is not an outcome; every step has
    a team; moves name existing steps of the process; an outcome step moves
    nowhere (reopening is its own action); at least one outcome; every step is
    reachable from the first; and from every step some outcome is reachable, so
    no case can be stuck.
    """
    if not steps:
        return [_("A process needs at least one step.")]
    ordered = sorted(steps, key=lambda step: step.position)
    edges = {step.key: step.next_steps for step in ordered}
    found = []
    keys = [step.key for step in ordered]
    for key in sorted({key for key in keys if keys.count(key) > 1}):
        found.append(_("Step key “%(key)s” is used twice.") % {"key": key})
    positions = [step.position for step in ordered]
    if len(set(positions)) < len(positions):
        found.append(_("Two steps have the same position."))
    if ordered[0].outcome:
        found.append(_("The first step cannot be an outcome."))
    for step in ordered:
        found += _step_problems(step, edges)
    outcomes = {step.key for step in ordered if step.outcome}
    if not outcomes:
        found.append(_("A process needs at least one outcome step."))
    reachable = _reachable(ordered[0].key, edges)
    for step in ordered:
        if step.key not in reachable:
            found.append(
                _("Step “%(key)s” cannot be reached from the first step.")
                % {"key": step.key}
            )
        elif (
            outcomes and not step.outcome and not _reachable(step.key, edges) & outcomes
        ):
            found.append(
                _("From step “%(key)s” no outcome can be reached.") % {"key": step.key}
            )
    return found
