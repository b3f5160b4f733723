"""The two ways of choosing bins that the simulation compares.

``FixedRound`` empties every bin on its round's weekday. ``SensorPolicy``
follows Medborg's own rule (docs/bins.md, ``sensors.services.emptying`` and
``sensors.selectors.bins_to_collect``) one morning at a time, with the
forecast learnt from the sensors' morning levels. Both answer ``morning(day,
levels)`` with a ``Selection`` and are told what was emptied.
"""

from datetime import date, timedelta

import numpy as np

from medborg.routing import planner
from medborg.routing.simulation import Selection, Town, working_day

WEEK = 7


class FixedRound:
    """Empty every bin on its round's weekday, full or not."""

    name = "fixed"

    def __init__(self, town: Town):
        self._weekdays = np.array([b.round_weekday for b in town.bins])

    def morning(self, day: date, levels: np.ndarray) -> Selection:
        if not working_day(day):
            return Selection(required=[], optional={})
        due = np.flatnonzero(self._weekdays == day.weekday())
        return Selection(required=due.tolist(), optional={})

    def emptied(self, indices: list[int]) -> None:
        """The round does not look at what it emptied."""


def _next_working_day(day: date) -> int:
    """Days from ``day`` to the next working day after it."""
    ahead = 1
    while not working_day(day + timedelta(days=ahead)):
        ahead += 1
    return ahead


class SensorPolicy:
    """Medborg's rule: a case when needed, emptied on the bin's collection day.

    Each morning, weekends included, a bin without a case gets one when its
    level is at ``threshold`` or forecast to reach it by the morning of its
    next collection day: the next weekday in ``collection_weekdays`` (each
    bin's area day, as the fixed round's), or without them the next working
    day. On a working day a bin with a case is required when it is its
    collection day (any working day without collection days) or when its case
    was already open on its last collection day (it was missed). Another bin
    with a case is optional, worth ``overflow_prize_m`` metres of detour, when
    it is forecast to be full (100 %) by the next working morning. Emptying a
    bin closes its case.

    The forecast: each bin's rise per weekday, an exponential average (weight
    ``learning``) of what the sensors showed, starting from ``initial_rate``.
    """

    name = "sensor"

    def __init__(
        self,
        *,
        initial_rate: np.ndarray,
        threshold: float = 80.0,
        collection_weekdays: list[int] | None = None,
        overflow_prize_m: int = planner.PRIZE_OVERFLOW_M,
        learning: float = 0.5,
    ):
        self.threshold, self.learning = threshold, learning
        self.overflow_prize_m = overflow_prize_m
        count = len(initial_rate)
        self.collection = (
            None if collection_weekdays is None else np.array(collection_weekdays)
        )
        self.rates = np.repeat(np.asarray(initial_rate, float)[:, None], 7, axis=1)
        self.case = np.zeros(count, dtype=bool)
        self._opened = np.zeros(count, dtype=int)  # date.toordinal() of the case
        self._last: np.ndarray | None = None
        self._last_day: date | None = None
        self._emptied = np.zeros(count, dtype=bool)

    def _learn(self, levels: np.ndarray) -> None:
        if self._last is None:
            return
        rise = levels - np.where(self._emptied, 0.0, self._last)
        # A sensor reads at most 100 %: a capped rise says too little.
        seen = levels < 100
        column = self.rates[:, self._last_day.weekday()]
        column[seen] += self.learning * (rise[seen] - column[seen])

    def ahead(self, day: date, levels: np.ndarray) -> np.ndarray:
        """Return the levels forecast 0 to 7 mornings after ``day``'s (8 × bins)."""
        rows = [np.asarray(levels, dtype=float)]
        for offset in range(WEEK):
            rows.append(rows[-1] + self.rates[:, (day.weekday() + offset) % WEEK])
        return np.stack(rows)

    def _days_to_collection(self, day: date) -> np.ndarray:
        if self.collection is None:
            return np.full(len(self.case), _next_working_day(day))
        days = (self.collection - day.weekday()) % WEEK
        return np.where(days == 0, WEEK, days)

    def _due(self, day: date) -> np.ndarray:
        if self.collection is None:
            return self.case.copy()
        since = (day.weekday() - self.collection) % WEEK
        last_day = day.toordinal() - since
        # Today is its day, or its case was open on its last day (missed).
        return self.case & ((since == 0) | (self._opened <= last_day))

    def morning(self, day: date, levels: np.ndarray) -> Selection:
        self._learn(levels)
        self._last, self._last_day = levels.copy(), day
        self._emptied[:] = False
        forecast = self.ahead(day, levels)
        bins = np.arange(len(levels))
        at_next = forecast[self._days_to_collection(day), bins]
        opens = ~self.case & ((levels >= self.threshold) | (at_next >= self.threshold))
        self.case |= opens
        self._opened[opens] = day.toordinal()
        if not working_day(day):
            return Selection(required=[], optional={})
        due = self._due(day)
        full = forecast[_next_working_day(day)] >= 100.0
        overflowing = self.case & ~due & full
        return Selection(
            required=np.flatnonzero(due).tolist(),
            optional={
                int(i): self.overflow_prize_m for i in np.flatnonzero(overflowing)
            },
        )

    def emptied(self, indices: list[int]) -> None:
        self._emptied[indices] = True
        self.case[indices] = False
