"""Progress on stderr: a bar on a terminal, a plain line every few seconds otherwise."""
from __future__ import annotations

import sys
import time


class StderrProgress:
    """Callable as progress(stage, done, total); call close() when finished.

    Plain lines (stderr not a terminal) say each stage as it starts, then every `interval` seconds how far
    it is, how fast it goes and how long is left: a first index of spring-framework embedded for six of its
    eight minutes with nothing but counts to read (sweep 16). (A closed stderr is the CLI's to absorb:
    rag/cli/common.py, DiagnosticsStream.)
    """

    def __init__(self, quiet: bool = False, interval: float = 2.0):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.interval = interval
        self._bars: dict[str, object] = {}
        self._last_line = 0.0
        self._started: dict[str, tuple[float, int]] = {}  # stage -> when and at what count it was first seen

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet or total <= 1:
            return
        if self.tty:
            from tqdm import tqdm

            bar = self._bars.get(stage)
            if bar is None:
                bar = self._bars[stage] = tqdm(total=total, desc=stage, unit="file", file=sys.stderr, leave=False)
            bar.n = done
            bar.refresh()
            return
        now = time.monotonic()
        new_stage = stage not in self._started
        if new_stage:
            self._started[stage] = (now, done)
        if new_stage or done == total or now - self._last_line >= self.interval:
            self._last_line = now
            print(f"{stage}: {done}/{total}{_pace(self._started[stage], now, done, total)}", file=sys.stderr, flush=True)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()


def _pace(started: tuple[float, int], now: float, done: int, total: int) -> str:
    """` (120/s, about 40 s left)` once a stage has run a second and moved; nothing before.

    >>> _pace((0.0, 0), 10.0, 1200, 5000)
    ' (120/s, about 32 s left)'
    >>> _pace((0.0, 0), 0.5, 10, 5000), _pace((0.0, 0), 10.0, 5000, 5000)
    ('', ' (500/s)')
    """
    since, first = started
    elapsed, moved = now - since, done - first
    if elapsed < 1 or moved <= 0:
        return ""
    rate = moved / elapsed
    if done >= total:
        return f" ({rate:.0f}/s)"
    left = (total - done) / rate
    return f" ({rate:.0f}/s, about {_duration(left)} left)"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
