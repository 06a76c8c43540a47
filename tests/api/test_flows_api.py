import pytest

from namespaces.models import Flow, FlowRevision, Namespace
from tests.engine.flows import HELLO

from .helpers import YAML, assert_problem

PREFIXES = ["/api/v1", "/api/v1/main"]


def create(api, source=HELLO, prefix="/api/v1"):
    return api.post(f"{prefix}/flows", source, content_type=YAML)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_create_returns_the_flow_with_its_verbatim_source(api, prefix):
    source = "# a comment survives\n" + HELLO
    response = create(api, source, prefix)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["namespace"], body["revision"]) == ("hello", "acme.sales", 1)
    assert body["source"] == source
    assert body["labels"] == [{"key": "team", "value": "sales"}]
    assert [task["id"] for task in body["tasks"]] == ["greet", "answer"]
    assert body["disabled"] is False and body["deleted"] is False
    assert sorted(Namespace.objects.values_list("id", flat=True)) == ["acme", "acme.sales"]


def test_get_omits_source_unless_asked(api):
    create(api)
    plain = api.get("/api/v1/main/flows/acme.sales/hello").json()
    assert "source" not in plain
    assert "description" in plain and plain["revision"] == 1
    assert api.get("/api/v1/flows/acme.sales/hello?source=true").json()["source"] == HELLO


def test_update_makes_a_new_revision_unless_the_source_is_unchanged(api):
    create(api)
    changed = HELLO.replace("Greets someone.", "Greets anyone.")
    response = api.put("/api/v1/flows/acme.sales/hello", changed, content_type=YAML)
    assert response.status_code == 200
    assert response.json()["revision"] == 2
    assert api.put("/api/v1/flows/acme.sales/hello", changed, content_type=YAML).json()["revision"] == 2
    first = api.get("/api/v1/flows/acme.sales/hello?revision=1&source=true").json()
    assert (first["revision"], first["source"]) == (1, HELLO)
    assert FlowRevision.objects.count() == 2


def test_list_by_namespace_returns_exactly_that_namespaces_flows(api):
    create(api)
    create(api, HELLO.replace("id: hello", "id: bye"))
    create(api, HELLO.replace("namespace: acme.sales", "namespace: acme.sales.eu"))
    body = api.get("/api/v1/flows/acme.sales").json()
    assert [flow["id"] for flow in body] == ["bye", "hello"]
    assert all("source" not in flow for flow in body)
    assert api.get("/api/v1/flows/nobody").json() == []


def test_invalid_yaml_is_422_naming_the_line_and_stores_nothing(api):
    body = assert_problem(create(api, "id: x\nnamespace: n\ntasks: [\n"), 422, "invalid-entity")
    (error,) = body["errors"]
    assert error["line"] == 4 and error["detail"].startswith("invalid YAML")
    assert not Flow.objects.exists() and not Namespace.objects.exists()


def test_unknown_task_type_is_422_naming_the_path(api):
    source = HELLO.replace("io.kestra.plugin.core.debug.Return", "io.kestra.plugin.core.debug.Nope")
    body = assert_problem(create(api, source), 422, "invalid-entity")
    assert body["errors"] == [
        {
            "path": "tasks[1].type",
            "detail": "invalid type: unknown task type 'io.kestra.plugin.core.debug.Nope'",
            "line": 17,
            "column": 11,
        }
    ]
    assert not Flow.objects.exists()


def test_creating_an_existing_flow_is_a_conflict(api):
    create(api)
    assert_problem(create(api), 409, "conflict")
    assert FlowRevision.objects.count() == 1


def test_update_cannot_change_id_or_namespace(api):
    create(api)
    moved = HELLO.replace("namespace: acme.sales", "namespace: acme.other")
    body = assert_problem(api.put("/api/v1/flows/acme.sales/hello", moved, content_type=YAML), 422, "validation-failed")
    assert body["errors"][0]["path"] == "namespace"
    assert FlowRevision.objects.count() == 1


def test_invalid_update_keeps_the_stored_revision(api):
    create(api)
    assert_problem(api.put("/api/v1/flows/acme.sales/hello", "id: hello\n", content_type=YAML), 422, "invalid-entity")
    assert api.get("/api/v1/flows/acme.sales/hello?source=true").json()["source"] == HELLO


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/flows/acme.sales/nope"),
        ("get", "/api/v1/flows/acme.sales/hello?revision=7"),
        ("put", "/api/v1/flows/acme.sales/nope"),
        ("get", "/api/v1/acme/flows/acme.sales/hello"),
    ],
)
def test_unknown_flows_revisions_and_tenants_are_404(api, method, path):
    create(api)
    body = HELLO.replace("id: hello", "id: nope")
    response = getattr(api, method)(path, body, content_type=YAML) if method == "put" else api.get(path)
    assert_problem(response, 404, "not-found")


def test_missing_or_wrong_credentials_are_401_with_a_challenge(anonymous, owner):
    response = anonymous.post("/api/v1/flows", HELLO, content_type=YAML)
    assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Basic realm="flowhub", Bearer realm="flowhub"'
    anonymous.credentials(HTTP_AUTHORIZATION="Basic b3duZXI6d3Jvbmc=")  # owner:wrong
    assert_problem(anonymous.get("/api/v1/flows/acme.sales"), 401, "unauthenticated")
    assert not Flow.objects.exists()


def test_wrong_media_type_is_415(api):
    assert_problem(api.post("/api/v1/flows", {"id": "x"}, format="json"), 415, "unsupported-media-type")


def test_oversized_flow_is_413(api):
    big = HELLO + "# " + "x" * (1024 * 1024) + "\n"
    assert_problem(create(api, big), 413, "payload-too-large")


def test_request_id_is_echoed_when_sane_and_replaced_when_not(api):
    assert api.get("/api/v1/flows/x", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    assert api.get("/api/v1/flows/x", HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"] != "bad id\n"
