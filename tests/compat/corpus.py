"""The compatibility corpus: flows written in Kestra's syntax (tests/compat/flows), each with what it must
do when run (tests/compat/expected)."""

from pathlib import Path

CORPUS = sorted((Path(__file__).parent / "flows").glob("*.yml"))
