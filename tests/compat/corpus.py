"""Ten flows written in Kestra's syntax (tests/compat/flows), for the compatibility tests."""

from pathlib import Path

CORPUS = sorted((Path(__file__).parent / "flows").glob("*.yml"))
