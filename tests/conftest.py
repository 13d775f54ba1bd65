import os
import shutil
import subprocess
import sys

import pytest

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
RAG = [sys.executable, "-m", "rag.cli"]


@pytest.fixture
def shop(tmp_path):
    """A private copy of the Python fixture repository, safe to modify."""
    dest = tmp_path / "shop-repo"
    shutil.copytree(os.path.join(FIXTURES, "python"), dest)
    return dest


def run_rag(*args, cwd=None, timeout=60):
    """Run the CLI in a subprocess, as a user would."""
    return subprocess.run(RAG + [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
