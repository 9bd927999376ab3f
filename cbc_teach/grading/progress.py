"""A small progress bar on stderr (no dependency): redrawn in place on a terminal, a line per
tenth of the work otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``Progress(total, label)``; call :meth:`step` once per item, :meth:`close` at the end.

    >>> import io
    >>> out = io.StringIO()
    >>> p = Progress(2, "grading", stream=out, enabled=True)
    >>> p.step("s001"); p.step("s002"); p.close()
    >>> out.getvalue().splitlines()[-1].startswith("grading [####################] 2/2")
    True
    """

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None,
                 enabled: bool | None = None, width: int = 20) -> None:
        self.total, self.label, self.width = total, label, width
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = self.tty if enabled is None else enabled
        self.done = 0
        self.start = time.perf_counter()
        self._last_tenth = -1

    def _line(self, note: str) -> str:
        filled = int(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        seconds = time.perf_counter() - self.start
        return f"{self.label} [{bar}] {self.done}/{self.total} {seconds:5.1f} s {note}".rstrip()

    def step(self, note: str = "") -> None:
        """One more item done."""
        self.done += 1
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\033[K" + self._line(note))
            self.stream.flush()
            return
        tenth = int(10 * self.done / self.total) if self.total else 10
        if tenth != self._last_tenth or self.done == self.total:
            self._last_tenth = tenth
            self.stream.write(self._line(note) + "\n")

    def close(self) -> None:
        """End the bar (a newline on a terminal)."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
