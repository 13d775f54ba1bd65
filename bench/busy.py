"""A busy machine for latency measurements: another process keeping one core at 100%."""
from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager


@contextmanager
def busy_core(enabled: bool = True):
    """While inside, one core spins in a child process (a user's build or test run beside `rag ask`)."""
    if not enabled:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()
