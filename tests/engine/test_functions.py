"""kv(), secret() and read() as templates call them, over an in-memory namespace store."""

import pytest

from flowhub.engine import templating
from flowhub.engine.errors import TemplateError
from flowhub.engine.functions import RevealedSecrets, namespace_functions
from flowhub.engine.ports import ExecutionRef


class DictStore:
    """The NamespaceStore port over dicts: `{(namespace, key): value}`."""

    def __init__(self, kv=None, secrets=None, files=None):
        self._kv, self._secrets, self._files = kv or {}, secrets or {}, files or {}
        self.kv_calls = []

    def kv(self, namespace, key, *, inherit, error_on_missing):
        self.kv_calls.append((namespace, key, inherit, error_on_missing))
        if (namespace, key) in self._kv:
            return self._kv[(namespace, key)]
        if error_on_missing:
            raise LookupError(f"no key {key}")
        return None

    def secret(self, namespace, name):
        return self._secrets[(namespace, name)]

    def read(self, namespace, path):
        return self._files[(namespace, path)]

    def read_execution_file(self, execution, uri):
        return self._files[(execution.execution_id, uri)]

    def error_logs(self, execution):
        return [{"taskId": "t", "message": f"failed in {execution.execution_id}", "level": "ERROR"}]


EXECUTION = ExecutionRef("acme.sales", "f", "e1")


def render(source, store, revealed=None, execution=EXECUTION):
    functions = namespace_functions(store, "acme.sales", revealed or RevealedSecrets(), execution)
    return templating.render(source, functions)


def test_kv_reads_the_flow_s_namespace_with_inheritance_unless_one_is_named():
    store = DictStore(kv={("acme.sales", "a"): {"n": 1}, ("other", "b"): "x"})
    assert render("{{ kv('a').n }}", store) == "1"
    assert render("{{ kv('b', namespace='other') }}", store) == "x"
    assert render("[{{ kv('zz', errorOnMissing=false) }}]", store) == "[]"
    assert store.kv_calls == [
        ("acme.sales", "a", True, True),
        ("other", "b", False, True),
        ("acme.sales", "zz", True, False),
    ]
    with pytest.raises(TemplateError, match="no key zz"):
        render("{{ kv('zz') }}", store)


def test_secret_values_are_remembered_for_masking():
    revealed = RevealedSecrets()
    store = DictStore(secrets={("acme.sales", "TOKEN"): "abc123"})
    assert render("{{ secret('TOKEN') }}", store, revealed) == "abc123"
    assert revealed.mask({"a": ["x abc123 y", 3], "b": "abc123abc123"}) == {"a": ["x **** y", 3], "b": "********"}


def test_masking_hides_a_longer_secret_before_a_shorter_one_inside_it():
    revealed = RevealedSecrets()
    for value in ("pass", "password", ""):
        revealed.add(value)
    assert revealed.mask("password and pass") == "**** and ****"
    assert RevealedSecrets().mask("nothing revealed") == "nothing revealed"


def test_read_takes_a_path_or_an_nsfile_uri():
    store = DictStore(files={("acme.sales", "/sql/q.sql"): "SELECT 1"})
    assert render("{{ read('/sql/q.sql') }}|{{ read('nsfile:///sql/q.sql') }}", store) == "SELECT 1|SELECT 1"


def test_read_reaches_the_flow_s_own_namespace_only():
    store = DictStore(files={("acme.sales", "/q.sql"): "SELECT 1"})
    assert render("{{ read('nsfile://acme.sales/q.sql') }}", store) == "SELECT 1"
    with pytest.raises(TemplateError, match=r"reaches the files of namespace 'acme\.sales' only, not 'acme'$"):
        render("{{ read('nsfile://acme/q.sql') }}", store)


def test_read_of_a_kestra_uri_asks_the_store_for_a_file_of_this_execution():
    uri = "kestra:///acme/sales/f/executions/e1/write/r1/a.txt"
    store = DictStore(files={("e1", uri): "from a task"})
    assert render(f"{{{{ read('{uri}') }}}}", store) == "from a task"
    with pytest.raises(TemplateError, match="no execution here"):
        render(f"{{{{ read('{uri}') }}}}", store, execution=None)


def test_error_logs_are_those_of_this_execution():
    store = DictStore()
    assert render("{{ errorLogs()[0].message }}", store) == "failed in e1"
    with pytest.raises(TemplateError, match="no execution here"):
        render("{{ errorLogs() }}", store, execution=None)
