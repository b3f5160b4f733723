import pytest

from medborg.cases.lifecycle import MOVES, InvalidMove, Status, can_move, is_open


def test_every_status_has_its_moves_listed():
    assert set(MOVES) == set(Status)


@pytest.mark.parametrize(
    ("current", "requested", "allowed"),
    [
        (Status.SUBMITTED, Status.IN_PROGRESS, True),
        (Status.SUBMITTED, Status.CLOSED, True),
        (Status.IN_PROGRESS, Status.SUBMITTED, False),
        (Status.CLOSED, Status.IN_PROGRESS, False),
        (Status.CLOSED, Status.REOPENED, True),
        (Status.WAITING_FOR_CITIZEN, Status.IN_PROGRESS, True),
        (Status.DECIDED, Status.IN_PROGRESS, False),
    ],
)
def test_can_move(current, requested, allowed):
    assert can_move(current, requested) is allowed


def test_invalid_move_names_reference_and_states():
    error = InvalidMove("KOM-2026-000001", "closed", "in_progress")
    assert str(error) == (
        "Case KOM-2026-000001 cannot move from 'closed' to 'in_progress'"
    )


def test_closed_and_decided_are_not_open():
    assert [s for s in Status if not is_open(s)] == [Status.DECIDED, Status.CLOSED]
