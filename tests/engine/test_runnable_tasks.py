"""The runnable task types on an in-memory `TaskServices`; HTTP against a real server on loopback."""

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flowhub.engine.context import RunContext
from flowhub.engine.errors import EngineError, InvalidFlowError, TaskFailure
from flowhub.engine.globs import selected
from flowhub.engine.kv import KVType
from flowhub.engine.parser import parse_flow
from flowhub.engine.ports import TaskRunRef
from flowhub.engine.registry import default_registry
from flowhub.engine.scripts import ScriptLines, scrubbed_environment
from flowhub.engine.tasks.core import Echo, Sleep
from flowhub.engine.tasks.http import Request
from flowhub.engine.tasks.kv import Delete, Get, GetKeys, Set
from flowhub.engine.tasks.namespace import DeleteFiles, DownloadFiles, UploadFiles
from flowhub.engine.tasks.scripts import PythonCommands, PythonScript, ShellCommands, ShellScript
from flowhub.engine.tasks.storage import Write

from .test_core_tasks import ListSink

RUN = TaskRunRef("acme", "f", "e1", "t", "r1")


class MemoryServices:
    """`TaskServices` in dictionaries: KV entries by (namespace, key), files by (namespace, path) and URI."""

    def __init__(self):
        self.kv: dict[tuple[str, str], tuple[KVType, object, object]] = {}
        self.files: dict[tuple[str, str], bytes] = {}
        self.stored: dict[str, bytes] = {}

    def kv_get(self, namespace, key, *, error_on_missing):
        if (namespace, key) not in self.kv:
            if error_on_missing:
                raise LookupError(f"no key {key}")
            return None
        return self.kv[namespace, key][1]

    def kv_set(self, namespace, key, value, *, kv_type, ttl, overwrite):
        if not overwrite and (namespace, key) in self.kv:
            raise LookupError(f"key '{key}' already exists")
        self.kv[namespace, key] = (kv_type, value, ttl)

    def kv_delete(self, namespace, key):
        return self.kv.pop((namespace, key), None) is not None

    def kv_keys(self, namespace):
        return sorted(key for ns, key in self.kv if ns == namespace)

    def namespace_file_paths(self, namespace):
        return sorted(path for ns, path in self.files if ns == namespace)

    def namespace_file_open(self, namespace, path):
        return io.BytesIO(self.files[namespace, path])

    def namespace_file_write(self, namespace, path, content):
        self.files[namespace, path] = content.read()

    def namespace_file_delete(self, namespace, path):
        del self.files[namespace, path]

    def namespace_files_materialize(self, namespace, directory, include, exclude):
        chosen = [path for path in self.namespace_file_paths(namespace) if selected(path, include, exclude)]
        for path in chosen:
            target = directory / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.files[namespace, path])
        return chosen

    def execution_file_write(self, run, name, content):
        uri = f"kestra:///{run.namespace}/{run.flow_id}/executions/{run.execution_id}/{run.task_id}/{run.task_run_id}/{name}"
        self.stored[uri] = content.read()
        return uri

    def execution_file_open(self, run, uri):
        return io.BytesIO(self.stored[uri])


@pytest.fixture
def services():
    return MemoryServices()


@pytest.fixture
def sink():
    return ListSink()


@pytest.fixture
def ctx(services, sink):
    variables = {"flow": {"id": "f", "namespace": "acme"}, "inputs": {"name": "ada", "n": 3}, "outputs": {}}
    return RunContext(variables, sink, services=services, task_run=RUN)


def task(model, **properties):
    return model(id="t", type=model.TYPE, **properties)


def saved(task_yaml: str):
    """Parse a one-task flow; the parser's error when it is refused."""
    return parse_flow(f"id: f\nnamespace: acme\ntasks:\n  - id: t\n{task_yaml}", default_registry())


# --- core ---------------------------------------------------------------------------------------


def test_echo_logs_its_format_at_its_level(ctx, sink):
    assert task(Echo, format="hi {{ inputs.name }}", level="WARN").run(ctx) == {}
    assert sink.lines == [("WARN", "hi ada")]


def test_sleep_waits_its_duration_and_a_stop_ends_it_early(ctx):
    started = time.monotonic()
    assert task(Sleep, duration="PT0.2S").run(ctx) == {}
    assert time.monotonic() - started >= 0.2
    threading.Timer(0.1, ctx.stop.set).start()
    started = time.monotonic()
    with pytest.raises(TaskFailure, match="stopped"):
        task(Sleep, duration="PT1H").run(ctx)
    assert time.monotonic() - started < 5


def test_sleep_with_a_rendered_bad_duration_fails_naming_it(ctx):
    with pytest.raises(TaskFailure, match=r"^duration 'ada': expected an ISO-8601 duration"):
        task(Sleep, duration="{{ inputs.name }}").run(ctx)


def test_a_task_that_needs_services_says_so_without_them(sink):
    with pytest.raises(EngineError, match="services"):
        task(Get, key="k").run(RunContext({"flow": {"namespace": "acme"}}, sink))


# --- KV -------------------------------------------------------------------------------------------


def test_kv_set_types_values_like_kestra(ctx, services):
    task(Set, key="s", value="{{ inputs.n }}").run(ctx)
    task(Set, key="n", value="{{ inputs.n }}", kvType="NUMBER").run(ctx)
    task(Set, key="m", value={"a": [1, "{{ inputs.name }}"]}).run(ctx)
    task(Set, key="b", value=True, namespace="other", ttl="PT1M").run(ctx)
    assert services.kv["acme", "s"][:2] == (KVType.STRING, "3")
    assert services.kv["acme", "n"][:2] == (KVType.NUMBER, 3)
    assert services.kv["acme", "m"][:2] == (KVType.JSON, {"a": [1, "ada"]})
    kv_type, value, ttl = services.kv["other", "b"]
    assert (kv_type, value, ttl.total_seconds()) == (KVType.BOOLEAN, True, 60)


def test_kv_set_refuses_a_value_not_of_its_kv_type_and_an_existing_key_without_overwrite(ctx):
    with pytest.raises(TaskFailure, match="value: not a NUMBER"):
        task(Set, key="n", value="{{ inputs.name }}", kvType="NUMBER").run(ctx)
    task(Set, key="k", value="1").run(ctx)
    with pytest.raises(LookupError, match="already exists"):
        task(Set, key="k", value="2", overwrite=False).run(ctx)


def test_kv_get_delete_and_get_keys(ctx):
    for key in ("app.one", "app.two", "other"):
        task(Set, key=key, value=key).run(ctx)
    assert task(Get, key="app.one").run(ctx) == {"value": "app.one"}
    assert task(Get, key="missing").run(ctx) == {"value": None}
    with pytest.raises(LookupError):
        task(Get, key="missing", errorOnMissing=True).run(ctx)
    assert task(GetKeys, prefix="app.").run(ctx) == {"keys": ["app.one", "app.two"]}
    assert task(GetKeys).run(ctx) == {"keys": ["app.one", "app.two", "other"]}
    assert task(Delete, key="other").run(ctx) == {"deleted": True}
    assert task(Delete, key="other").run(ctx) == {"deleted": False}
    with pytest.raises(TaskFailure, match="No value found for key 'other'"):
        task(Delete, key="other", errorOnMissing=True).run(ctx)


def test_a_rendered_bad_key_or_namespace_fails_naming_the_property(ctx):
    with pytest.raises(TaskFailure, match=r"^key 'a b': must start"):
        task(Get, key="{{ 'a b' }}").run(ctx)
    with pytest.raises(TaskFailure, match=r"^namespace 'Bad!': must be"):
        task(Get, key="k", namespace="{{ 'Bad!' }}").run(ctx)


@pytest.mark.parametrize(
    ("task_yaml", "message"),
    [
        ("    type: io.kestra.plugin.core.kv.Set\n    key: 'a b'\n    value: x\n", "tasks[0].key: "),
        ("    type: io.kestra.plugin.core.kv.Set\n    key: k\n", "tasks[0].value: "),
        ("    type: io.kestra.plugin.core.kv.Set\n    key: k\n    value: x\n    ttl: soon\n", "tasks[0].ttl: "),
        ("    type: io.kestra.plugin.core.kv.Set\n    key: k\n    value: x\n    kvType: TEXT\n", "tasks[0].kvType: "),
        ("    type: io.kestra.plugin.core.kv.Get\n    key: k\n    namespace: Nope!\n", "tasks[0].namespace: "),
        ("    type: io.kestra.plugin.core.flow.Sleep\n    duration: 5s\n", "tasks[0].duration: "),
        ("    type: io.kestra.plugin.core.storage.Write\n    content: x\n    extension: a/b\n", "tasks[0].extension: "),
        ("    type: io.kestra.plugin.core.http.Request\n    uri: ftp://x\n", "tasks[0].uri: must be an http"),
        ("    type: io.kestra.plugin.core.http.Request\n    uri: http://x\n    method: FETCH\n", "tasks[0].method: "),
        (
            "    type: io.kestra.plugin.core.http.Request\n    uri: http://x\n    options:\n      retries: 3\n",
            "tasks[0].options.retries: ",
        ),
        (
            "    type: io.kestra.plugin.core.namespace.UploadFiles\n    filesMap: {a: b}\n    files: ['*.txt']\n",
            "tasks[0].files: Kestra's deprecated 'files' is not supported",
        ),
        ("    type: io.kestra.plugin.scripts.shell.Commands\n    commands: []\n", "tasks[0].commands: "),
        (
            "    type: io.kestra.plugin.scripts.shell.Commands\n    commands: [ls]\n    taskRunner:\n"
            "      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes\n",
            "tasks[0].taskRunner.type: ",
        ),
        (
            "    type: io.kestra.plugin.scripts.python.Script\n    script: x\n    dependencies: [pandas]\n",
            "dependencies",
        ),
    ],
)
def test_bad_properties_are_refused_at_save_with_their_path(task_yaml, message):
    with pytest.raises(InvalidFlowError) as caught:
        saved(task_yaml)
    assert message in str(caught.value)


def test_every_new_type_saves_under_its_names():
    saved("    type: io.kestra.plugin.fs.http.Request\n    uri: 'https://example.com'\n")
    saved("    type: io.kestra.core.tasks.debugs.Echo\n    format: hi\n")
    saved("    type: io.kestra.plugin.scripts.python.Script\n    script: print(1)\n    containerImage: python:3.13\n")


# --- storage and namespace files --------------------------------------------------------------------


def test_write_stores_its_rendered_content_as_an_execution_file(ctx, services):
    uri = task(Write, content="hello {{ inputs.name }}", extension=".txt").run(ctx)["uri"]
    assert uri.startswith("kestra:///acme/f/executions/e1/t/r1/") and uri.endswith(".txt")
    assert services.stored[uri] == b"hello ada"


def test_upload_files_takes_uris_and_content_and_honours_conflict(ctx, services):
    uri = task(Write, content="from storage").run(ctx)["uri"]
    outputs = task(
        UploadFiles, filesMap={"a.txt": uri, "dir/b.txt": "inline {{ inputs.name }}"}, destination="/up"
    ).run(ctx)
    assert outputs == {"files": {"/up/a.txt": "nsfile://acme/up/a.txt", "/up/dir/b.txt": "nsfile://acme/up/dir/b.txt"}}
    assert services.files["acme", "/up/a.txt"] == b"from storage"
    assert services.files["acme", "/up/dir/b.txt"] == b"inline ada"

    skipped = task(UploadFiles, filesMap='{"/up/a.txt": "new"}', conflict="SKIP").run(ctx)
    assert skipped == {"files": {}} and services.files["acme", "/up/a.txt"] == b"from storage"
    with pytest.raises(TaskFailure, match=r"'/up/a.txt' already exists"):
        task(UploadFiles, filesMap={"/up/a.txt": "new"}, conflict="ERROR").run(ctx)
    task(UploadFiles, filesMap={"/up/a.txt": "new"}).run(ctx)
    assert services.files["acme", "/up/a.txt"] == b"new"
    with pytest.raises(TaskFailure, match="filesMap: expected a map"):
        task(UploadFiles, filesMap="{{ inputs.name }}").run(ctx)


def test_download_and_delete_files_select_by_globs(ctx, services):
    for path in ("/sql/a.sql", "/sql/deep/b.sql", "/readme.md"):
        services.files["acme", path] = path.encode()
    downloaded = task(DownloadFiles, namespace="acme", files="**.sql", destination="copies").run(ctx)["files"]
    assert sorted(downloaded) == ["/sql/a.sql", "/sql/deep/b.sql"]
    assert downloaded["/sql/a.sql"].endswith("/t/r1/copies/sql/a.sql")
    assert services.stored[downloaded["/sql/deep/b.sql"]] == b"/sql/deep/b.sql"

    assert task(DeleteFiles, namespace="acme", files=[]).run(ctx) == {"files": {}}
    deleted = task(DeleteFiles, namespace="acme", files=["/sql/*.sql", "readme.md"]).run(ctx)
    assert deleted == {"files": {"/sql/a.sql": "nsfile://acme/sql/a.sql", "/readme.md": "nsfile://acme/readme.md"}}
    assert services.namespace_file_paths("acme") == ["/sql/deep/b.sql"]


# --- HTTP -----------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, code: int, body: bytes, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/missing":
            self._answer(404, b"nope")
        elif self.path == "/redirect":
            self._answer(302, b"", [("Location", "/hello")])
        elif self.path == "/big":
            self._answer(200, b"x" * 5000)
        elif self.path == "/slow":
            time.sleep(2)
            self._answer(200, b"late")
        else:
            headers = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Type", "text/plain; charset=utf-8")]
            self._answer(200, f"hello {self.headers.get('X-Name')}".encode(), headers)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        echo = {"type": self.headers["Content-Type"], "body": body.decode()}
        self._answer(201, json.dumps(echo).encode(), [("Content-Type", "application/json")])


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_request_returns_code_headers_as_lists_and_body(ctx, server):
    outputs = task(Request, uri=server + "/hello", headers={"X-Name": "{{ inputs.name }}"}).run(ctx)
    assert outputs["code"] == 200
    assert outputs["body"] == "hello ada"
    assert outputs["headers"]["Set-Cookie"] == ["a=1", "b=2"]
    assert outputs["uri"] == server + "/hello"


def test_request_posts_a_body_or_form_data(ctx, server):
    posted = task(Request, uri=server, method="POST", body='{"n": {{ inputs.n }}}', contentType="application/json")
    assert json.loads(posted.run(ctx)["body"]) == {"type": "application/json", "body": '{"n": 3}'}
    form = task(Request, uri=server, method="POST", formData={"name": "{{ inputs.name }}", "n": 1})
    echoed = json.loads(form.run(ctx)["body"])
    assert echoed == {"type": "application/x-www-form-urlencoded", "body": "name=ada&n=1"}


def test_request_fails_on_an_error_code_unless_allowed(ctx, server):
    with pytest.raises(TaskFailure, match="response code '404'"):
        task(Request, uri=server + "/missing").run(ctx)
    assert task(Request, uri=server + "/missing", allowFailed=True).run(ctx)["code"] == 404
    assert task(Request, uri=server + "/missing", options={"allowFailed": True}).run(ctx)["body"] == "nope"


def test_request_follows_redirects_unless_told_not_to(ctx, server):
    assert task(Request, uri=server + "/redirect").run(ctx)["code"] == 200
    assert task(Request, uri=server + "/redirect", options={"followRedirects": False}).run(ctx)["code"] == 302


def test_request_bounds_the_response_size_and_the_wait(ctx, server):
    with pytest.raises(TaskFailure, match="larger than 1000 bytes"):
        task(Request, uri=server + "/big", options={"maxContentLength": 1000}).run(ctx)
    with pytest.raises(TaskFailure, match="ReadTimeout"):
        task(Request, uri=server + "/slow", options={"timeout": {"readIdleTimeout": "PT0.3S"}}).run(ctx)


# --- scripts --------------------------------------------------------------------------------------


def test_a_script_s_lines_become_logs_vars_and_counts(ctx, services, sink):
    commands = [
        "echo plain",
        """echo '::{"outputs": {"a": 1, "b": {"c": "d"}}}::'""",
        """echo '::{"outputs": {"a": 2}}::'""",
        """echo '::{"logs": [{"level": "WARN", "message": "careful"}]}::'""",
        "echo '::{not json}::'",
        "echo oops >&2",
    ]
    outputs = task(ShellCommands, commands=commands).run(ctx)
    assert outputs == {
        "vars": {"a": 2, "b": {"c": "d"}},
        "exitCode": 0,
        "outputFiles": {},
        "stdOutLineCount": 5,
        "stdErrLineCount": 1,
    }
    # stdout and stderr are read side by side: each keeps its order, not their interleaving.
    assert [line for line in sink.lines if line != ("ERROR", "oops")] == [
        ("INFO", "plain"),
        ("WARN", "careful"),
        ("WARN", "Invalid outputs '::{not json}::'"),
    ]
    assert ("ERROR", "oops") in sink.lines


def test_a_failing_script_fails_with_its_exit_code_and_stderr(ctx, sink):
    with pytest.raises(TaskFailure, match=r"exit code 3:\nbad thing"):
        task(ShellCommands, commands=["echo bad thing >&2", "exit 3"]).run(ctx)
    with pytest.raises(TaskFailure, match="exit code 1"):
        task(ShellCommands, commands=["false", "echo never"]).run(ctx)
    assert ("INFO", "never") not in sink.lines
    assert task(ShellCommands, commands=["false", "echo went on"], failFast=False).run(ctx)["exitCode"] == 0


def test_a_script_gets_its_files_env_and_directories(ctx, services):
    services.files["acme", "/lib/data.txt"] = b"namespace file"
    services.files["acme", "/other.txt"] = b"not included"
    uri = task(Write, content="from storage").run(ctx)["uri"]
    script = task(
        ShellScript,
        script="cat lib/data.txt input.txt sub/stored.txt > result.csv\n"
        'echo "$GREETING {{ inputs.name }}" > "$OUTPUT_DIR/out.txt"\n'
        'test "$PWD" = "{{ workingDir }}" && test "$WORKING_DIR" = "{{ workingDir }}"\n'
        "test ! -e other.txt",
        env={"GREETING": "hello", "N": 3},
        namespaceFiles={"enabled": True, "include": ["lib/**"]},
        inputFiles={"input.txt": "inline", "sub/stored.txt": uri},
        outputFiles=["*.csv"],
    )
    files = script.run(ctx)["outputFiles"]
    assert sorted(files) == ["out.txt", "result.csv"]
    assert files["result.csv"].startswith("kestra:///acme/f/executions/e1/t/r1/")
    assert services.stored[files["result.csv"]] == b"namespace fileinlinefrom storage"
    assert services.stored[files["out.txt"]] == b"hello ada\n"


def test_input_files_cannot_leave_the_working_directory(ctx):
    with pytest.raises(TaskFailure, match=r"inputFiles: '../x' is not a path inside"):
        task(ShellCommands, commands=["true"], inputFiles={"../x": "no"}).run(ctx)


def test_python_scripts_and_commands_run_with_the_server_s_python(ctx):
    script = task(
        PythonScript,
        script="import json, sys\nprint('::' + json.dumps({'outputs': {'v': sys.version_info[0]}}) + '::')",
    )
    assert script.run(ctx)["vars"] == {"v": 3}
    commands = task(PythonCommands, commands=["python -c 'import pydantic; print(1)'"])
    assert commands.run(ctx)["stdOutLineCount"] == 1


def test_a_docker_runner_or_image_runs_as_a_process_with_a_warning(ctx, sink):
    docker = {"type": "io.kestra.plugin.scripts.runner.docker.Docker", "image": "ubuntu:24.04", "pullPolicy": "NEVER"}
    assert task(ShellCommands, commands=["echo ok"], taskRunner=docker).run(ctx)["exitCode"] == 0
    assert sink.lines[0] == ("WARN", "flowhub runs this script as a local process, not in a Docker container")
    task(ShellCommands, commands=["true"], containerImage="alpine:3").run(ctx)
    assert sink.lines[-1] == (
        "WARN",
        "flowhub runs this script as a local process, not in the container image 'alpine:3'",
    )
    task(ShellCommands, commands=["true"], taskRunner={"type": "io.kestra.plugin.core.runner.Process"}).run(ctx)
    assert len(sink.lines) == 3


def test_a_script_past_its_timeout_is_killed_with_its_children(ctx, tmp_path):
    marker = tmp_path / "survivor"
    started = time.monotonic()
    with pytest.raises(TaskFailure, match="longer than its limit"):
        task(ShellCommands, commands=[f"(sleep 2; touch {marker}) &", "sleep 60"], timeout="PT0.5S").run(ctx)
    assert time.monotonic() - started < 5
    time.sleep(2.5)
    assert not marker.exists()


def test_a_script_that_ignores_sigterm_is_killed(ctx, monkeypatch):
    monkeypatch.setattr("flowhub.engine.scripts.KILL_GRACE_SECONDS", 0.5)
    started = time.monotonic()
    with pytest.raises(TaskFailure, match="longer than its limit"):
        task(ShellCommands, commands=["trap '' TERM", "sleep 30 & wait", "sleep 30"], timeout="PT0.3S").run(ctx)
    assert time.monotonic() - started < 5


def test_a_stop_request_ends_a_script(ctx):
    threading.Timer(0.3, ctx.stop.set).start()
    with pytest.raises(TaskFailure, match="stopped"):
        task(ShellCommands, commands=["sleep 60"]).run(ctx)


def test_left_over_background_processes_do_not_hold_the_task(ctx):
    started = time.monotonic()
    assert task(ShellCommands, commands=["sleep 60 &", "echo done"]).run(ctx)["stdOutLineCount"] == 1
    assert time.monotonic() - started < 5


def test_the_environment_keeps_what_a_shell_needs_and_drops_the_server_s_secrets():
    environ = {
        "PATH": "/bin",
        "HOME": "/home/w",
        "LANG": "C.UTF-8",
        "LC_ALL": "C",
        "DATABASE_URL": "postgres://secret",
        "CELERY_BROKER_URL": "redis://secret",
        "FLOWHUB_SECRET_KEY": "k",
        "AWS_SECRET_ACCESS_KEY": "k",
        "DJANGO_SETTINGS_MODULE": "x",
        "SECRET_DB": "x",
        "PGPASSWORD": "x",
    }
    assert scrubbed_environment(environ) == {"PATH": "/bin", "HOME": "/home/w", "LANG": "C.UTF-8", "LC_ALL": "C"}


def test_outputs_lines_are_bounded(monkeypatch):
    monkeypatch.setattr("flowhub.engine.scripts.MAX_VARS_BYTES", 40)
    logged = []
    lines = ScriptLines(lambda level, message: logged.append((level, message)))
    lines.add('::{"outputs": {"a": "short"}}::', stderr=False)
    lines.add('::{"outputs": {"b": "' + "x" * 50 + '"}}::', stderr=False)
    assert lines.vars == {"a": "short"}
    assert logged[0][0] == "WARN" and "exceed" in logged[0][1]


def test_many_lines_and_marker_lines_are_logged_at_their_levels_and_counted(ctx, sink):
    marker = """echo '::{"logs": [{"level": "%s", "message": "%s"}]}::'"""
    commands = [
        "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done",
        marker % ("DEBUG", "detail"),
        marker % ("warning", "the logging name for WARN"),
        marker % ("NOISE", "unknown level"),
        """echo '::{"logs": [{"level": "ERROR", "message": "on stderr"}]}::' >&2""",
        """echo '::{"metrics": [{"name": "rows", "type": "counter", "value": 3}]}::'""",
        "echo problem >&2",
    ]
    outputs = task(ShellCommands, commands=commands).run(ctx)
    assert (outputs["stdOutLineCount"], outputs["stdErrLineCount"], outputs["vars"]) == (2004, 2, {})
    # stdout and stderr are read side by side: each keeps its order, not their interleaving.
    numbered = [line for line in sink.lines if line[1].startswith("line ")]
    assert numbered == [("INFO", f"line {i}") for i in range(2000)]
    assert sorted(line for line in sink.lines if line not in numbered) == sorted(
        [
            ("DEBUG", "detail"),
            ("WARN", "the logging name for WARN"),
            ("INFO", "unknown level"),
            ("ERROR", "on stderr"),
            ("ERROR", "problem"),
        ]
    )


def test_a_quiet_script_has_its_lines_flushed_while_it_waits(ctx, sink):
    task(ShellCommands, commands=["echo started", "sleep 1"]).run(ctx)
    assert 1 in sink.held_at_flush  # `started` was offered for storing while the script still slept
