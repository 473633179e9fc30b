"""The view the HTTP layer reads through: one generation now, another after a rebuild.

A :class:`ViewSwitch` stands in for a read model's view: every method call goes to the
generation in force when the call starts and is counted while it runs. ``swap`` replaces the
generation in one assignment, so queries never pause; a call that starts later goes to the new
generation, and the old one may be dropped once ``wait_idle`` says no call on it still runs.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any


class Generation:
    """A view at one generation, with the calls running on it."""

    def __init__(self, view: Any, number: int) -> None:
        self.view = view
        self.number = number
        self._running = 0
        self._retired = False
        self._idle = threading.Condition()

    def enter(self) -> bool:
        """Count a call starting; False (not counted) once the generation is retired."""
        with self._idle:
            if self._retired:
                return False
            self._running += 1
            return True

    def retire(self) -> None:
        """No call starts on this generation from now on."""
        with self._idle:
            self._retired = True

    def leave(self) -> None:
        with self._idle:
            self._running -= 1
            if self._running == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once no call runs on this generation; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0,
                                       max(0.0, deadline - time.monotonic()))


class ViewSwitch:
    """Forwards attribute access to the view of the generation in force (see module doc)."""

    def __init__(self, view: Any, generation: int) -> None:
        self._current = Generation(view, generation)

    @property
    def current(self) -> Generation:
        return self._current

    def swap(self, view: Any, generation: int) -> Generation:
        """Put another generation in force; returns the one it replaced."""
        old, self._current = self._current, Generation(view, generation)
        old.retire()
        return old

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._current.view, name)
        if not callable(found):
            return found

        @functools.wraps(found)
        def counted(*args: Any, **kwargs: Any) -> Any:
            while True:  # a call that starts after a swap goes to the new generation
                current = self._current
                if current.enter():
                    break
            try:
                return getattr(current.view, name)(*args, **kwargs)
            finally:
                current.leave()

        return counted
