import pytest

from flowhub.engine.globs import selected


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("main.py", "/main.py", True),
        ("*.py", "main.py", True),
        ("*.py", "scripts/main.py", False),
        ("**/*.py", "main.py", True),
        ("**/*.py", "a/b/c.py", True),
        ("scripts/**", "scripts/a/b.sql", True),
        ("scripts/**", "other/a.sql", False),
        ("/scripts/*.sql", "scripts/q.sql", True),
        ("data/?.csv", "data/a.csv", True),
        ("data/?.csv", "data/ab.csv", False),
        ("data/[ab].csv", "data/b.csv", True),
        ("data/[ab].csv", "data/c.csv", False),
        ("a+b(1).txt", "a+b(1).txt", True),
    ],
)
def test_a_glob_matches_as_kestra_s_include_patterns_do(pattern, path, matches):
    assert selected(path, [pattern], []) is matches


def test_no_include_means_every_file_and_exclude_wins():
    assert selected("/any/thing.txt", [], [])
    assert not selected("/build/x.tmp", [], ["**/*.tmp"])
    assert not selected("/src/a.py", ["src/**"], ["src/a.py"])
    assert selected("/src/b.py", ["src/**"], ["src/a.py"])
