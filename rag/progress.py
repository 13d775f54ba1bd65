"""Progress on stderr: a bar on a terminal, a plain line every few seconds otherwise."""
from __future__ import annotations

import sys
import time


class StderrProgress:
    """Callable as progress(stage, done, total); call close() when finished."""

    def __init__(self, quiet: bool = False, interval: float = 2.0):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.interval = interval
        self._bars: dict[str, object] = {}
        self._last_line = 0.0

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
        if done == total or now - self._last_line >= self.interval:
            self._last_line = now
            print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()
