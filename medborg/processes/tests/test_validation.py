"""Each rule of ``validation.problems`` on the smallest process that breaks it."""

from dataclasses import replace

import pytest

from medborg.processes.validation import StepSpec, problems


def step(key, *moves, outcome="", team=True, position=None):
    return StepSpec(
        key=key,
        position=position,
        has_team=team,
        outcome=outcome,
        next_steps=tuple(moves),
    )


def process(*steps):
    """Number the steps in the order given, unless they carry a position."""
    return [
        spec if spec.position is not None else replace(spec, position=n)
        for n, spec in enumerate(steps)
    ]


# The demo's processes (medborg/catalog/demo/catalog.json) and docs/processes.md.
POTHOLE = process(
    step("received", "assessed", "rejected", "duplicate", "referred"),
    step("assessed", "scheduled", "rejected", "duplicate", "referred"),
    step("scheduled", "repaired", "assessed"),
    step("repaired", outcome="resolved"),
    step("rejected", outcome="rejected"),
    step("duplicate", outcome="duplicate"),
    step("referred", outcome="referred"),
)

PARKING_PERMIT = process(
    step("received", "completeness-check", "referred"),
    step("completeness-check", "assessment", "referred"),
    step("assessment", "decision", "completeness-check", "referred"),
    step("decision", "granted", "refused", "assessment"),
    step("granted", outcome="resolved"),
    step("refused", outcome="rejected"),
    step("referred", outcome="referred"),
)


@pytest.mark.parametrize("steps", [POTHOLE, PARKING_PERMIT], ids=["pothole", "permit"])
def test_a_valid_process_has_no_problems(steps):
    assert problems(steps) == []


def test_the_smallest_valid_process_is_two_steps():
    assert (
        problems(process(step("received", "done"), step("done", outcome="resolved")))
        == []
    )


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        pytest.param([], ["A process needs at least one step."], id="no-steps"),
        pytest.param(
            process(step("done", outcome="resolved")),
            ["The first step cannot be an outcome."],
            id="first-step-is-an-outcome",
        ),
        pytest.param(
            process(
                step("received", "done", team=False), step("done", outcome="resolved")
            ),
            ["Step “received” has no team."],
            id="no-team",
        ),
        pytest.param(
            process(
                step("received", "done", "nowhere", "gone"),
                step("done", outcome="resolved"),
            ),
            ["Step “received” moves to unknown steps: nowhere, gone."],
            id="unknown-moves",
        ),
        pytest.param(
            process(
                step("received", "received", "done"), step("done", outcome="resolved")
            ),
            ["Step “received” moves to itself."],
            id="moves-to-itself",
        ),
        pytest.param(
            process(
                step("received", "done"), step("done", "received", outcome="resolved")
            ),
            ["Outcome step “done” cannot move on; cases are reopened instead."],
            id="outcome-moves-on",
        ),
        pytest.param(
            process(step("received", "assessed"), step("assessed", "received")),
            ["A process needs at least one outcome step."],
            id="no-outcome",
        ),
        pytest.param(
            process(
                step("received", "done"),
                step("orphan", "done"),
                step("done", outcome="resolved"),
            ),
            ["Step “orphan” cannot be reached from the first step."],
            id="unreachable",
        ),
        pytest.param(
            process(
                step("received", "loop-a", "done"),
                step("loop-a", "loop-b"),
                step("loop-b", "loop-a"),
                step("done", outcome="resolved"),
            ),
            [
                "From step “loop-a” no outcome can be reached.",
                "From step “loop-b” no outcome can be reached.",
            ],
            id="no-outcome-reachable",
        ),
        pytest.param(
            process(
                step("received", "assessed", "done"),
                step("assessed"),
                step("done", outcome="resolved"),
            ),
            [
                "Step “assessed” moves nowhere and is not an outcome.",
                "From step “assessed” no outcome can be reached.",
            ],
            id="dead-end",
        ),
    ],
)
def test_each_rule_names_its_problem(steps, expected):
    assert problems(steps) == expected


def test_every_problem_is_reported_at_once():
    steps = process(
        step("received", "received", "ghost", team=False),
        step("stray", outcome="rejected"),
    )
    assert problems(steps) == [
        "Step “received” has no team.",
        "Step “received” moves to unknown steps: ghost.",
        "Step “received” moves to itself.",
        "From step “received” no outcome can be reached.",
        "Step “stray” cannot be reached from the first step.",
    ]


def test_the_first_step_is_the_lowest_position_not_the_first_listed():
    steps = [
        step("done", outcome="resolved", position=7),
        step("received", "done", position=3),
    ]
    assert problems(steps) == []


def test_an_outcome_step_needs_a_team_too():
    steps = process(
        step("received", "done"), step("done", outcome="resolved", team=False)
    )
    assert problems(steps) == ["Step “done” has no team."]


def test_deleting_a_step_in_the_middle_names_both_consequences():
    # The example in docs/processes.md.
    steps = [spec for spec in POTHOLE if spec.key != "scheduled"]
    assert problems(steps) == [
        "Step “assessed” moves to unknown steps: scheduled.",
        "Step “repaired” cannot be reached from the first step.",
    ]
