import subprocess
import sys


def test_engine_imports_neither_django_nor_celery():
    probe = (
        "import sys, flowhub.engine.parser, flowhub.engine.planner, flowhub.engine.registry; "
        "from flowhub.engine.registry import default_registry; default_registry(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'rest_framework')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
