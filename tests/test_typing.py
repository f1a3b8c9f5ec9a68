"""The project type-checks: mypy runs over what pyproject.toml's ``[tool.mypy]`` names (the packages,
the benchmarks, the examples' Python and the tests' helper modules) and must find nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_errors() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"mypy is not clean:\n{done.stdout}{done.stderr}"
