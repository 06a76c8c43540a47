"""The benchmarks under bench/ are not run by the tests (they print figures), so this at least loads each one
as its command line would: a helper renamed in the code they import must not leave them broken unseen."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(BENCH.glob("*.py"))


@pytest.mark.embedded
def test_every_bench_script_loads_what_it_imports():
    loading = "import runpy, sys\nfor path in sys.argv[1:]:\n    runpy.run_path(path, run_name='loaded')\n"
    result = subprocess.run(
        [sys.executable, "-c", loading, *map(str, SCRIPTS)], capture_output=True, text=True, timeout=120
    )
    assert len(SCRIPTS) >= 9
    assert result.returncode == 0, result.stderr
