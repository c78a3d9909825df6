"""The demo clock: the story is replayed in time order, each step at the moment it happened.

A chart needs about three months of history, but signing a note more than
PSYNOTE_LATE_ENTRY_HOURS after its session makes it a late entry. Rather than marking
every historical note late (untrue to the story) or widening the late-entry window
(which would hide how the rule works), the loader replays the story in time order under a
*demo clock*: while each step runs, Django's `timezone.now()` reads the moment the step
happened in the story (e.g. a note signed three hours after its session, ten weeks ago).
Creation times, signature times and audit-event times therefore agree with each other, the
audit log reads in order, and the late-entry rule applies exactly as in real use: the one
intended late entry is signed days after its session, with a reason. The clock is only
ever set inside `psynote.demo.runner.load()` and is restored when it returns; it never
runs in the server.
"""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone as dj_timezone

from psynote.accounts.models import User
from psynote.clients.models import Client


class Clock:
    """Makes `django.utils.timezone.now()` read the story's time while `running()`.

    `timezone.now()` is `datetime.now(tz=UTC)` looked up in that module at each call, so
    swapping the module's `datetime` for a subclass whose `now()` reads our time reaches
    every caller, model-field defaults included. Each reading adds a microsecond so that
    events within one step stay strictly ordered.
    """

    def __init__(self) -> None:
        self.at: datetime | None = None
        self._ticks = 0
        self._last: datetime | None = None

    def set(self, moment: datetime) -> None:
        # Two steps may share a minute: never let time run backwards between them.
        self.at = max(moment, self._last) if self._last else moment
        self._ticks = 0

    def read(self, tz: Any = None) -> datetime:
        assert self.at is not None
        self._ticks += 1
        moment = self._last = self.at + timedelta(microseconds=self._ticks)
        return moment.astimezone(tz) if tz is not None else dj_timezone.make_naive(moment)

    @contextmanager
    def running(self) -> Iterator[None]:
        clock = self

        class _StoryDatetime(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
                return clock.read(tz) if clock.at is not None else datetime.now(tz)

        saved = dj_timezone.datetime  # type: ignore[attr-defined]
        dj_timezone.datetime = _StoryDatetime  # type: ignore[attr-defined,misc]
        try:
            self.at = dj_timezone.make_aware(datetime(2000, 1, 1, 12))
            if dj_timezone.now().year != 2000:
                raise RuntimeError("the demo clock cannot set Django's time on this version")
            self.at = self._last = None
            yield
        finally:
            dj_timezone.datetime = saved  # type: ignore[attr-defined,misc]
            self.at = None


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    run: Callable[[], None] = field(compare=False)


class Replay:
    """The story's steps, to be run in time order, and what they have written so far."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.steps: list[Step] = []
        self.users: dict[str, User] = {}
        self.clients: dict[str, Client] = {}
        self.rng = random.Random(20240611)  # fixed seed: the same story on every load

    def at(self, day: date, clock: time, run: Callable[[], None],
           after: timedelta = timedelta()) -> datetime:
        moment = dj_timezone.make_aware(datetime.combine(day, clock)) + after
        self.steps.append(Step(moment, len(self.steps), run))
        return moment

    def weekday(self, days_ago: int) -> date:
        """The working day `days_ago` before today, moved back over a weekend."""
        day = self.today - timedelta(days=days_ago)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return day
