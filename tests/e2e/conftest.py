"""Shared fixtures: the byzlab binary under test (meson passes $BYZLAB)."""
import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def byzlab():
    path = os.environ.get("BYZLAB")
    if not path:
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        path = os.path.join(src, "build", "byzlab")
    if not os.path.exists(path):
        pytest.fail(f"byzlab binary not found at {path}; build first or set BYZLAB")

    def run(*args, timeout=300):
        return subprocess.run([path, *map(str, args)], capture_output=True,
                              text=True, timeout=timeout)
    return run
