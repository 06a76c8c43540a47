"""Search, delete, revisions, validate, enable/disable, duplicate and distinct namespaces."""

import pytest

from executions.models import Execution
from namespaces.models import FlowRevision
from tests.engine.flows import HELLO, NOT_RUNNABLE_DETAIL, NOT_RUNNABLE_TASK

from .drive import run_to_end
from .helpers import YAML, assert_problem, flow, ids


def test_search_by_namespace_prefix_is_dot_aware(api, catalog):
    response = api.get("/api/v1/flows/search?namespace=acme")
    assert ids(response) == ["alpha", "beta", "gamma"]
    assert response.json()["total"] == 3 and response["X-Total-Count"] == "3"
    assert ids(api.get("/api/v1/main/flows/search?filters[namespace][PREFIX]=acme.sales")) == ["beta", "gamma"]
    assert ids(api.get("/api/v1/flows/search?filters[namespace][EQUALS]=acme.sales")) == ["beta"]


def test_search_by_text_and_labels(api, catalog):
    assert ids(api.get("/api/v1/flows/search?q=amm")) == ["gamma"]
    assert ids(api.get("/api/v1/flows/search?labels=env:prod")) == ["alpha", "gamma"]
    assert ids(api.get("/api/v1/flows/search?labels=env:prod&labels=team:eu")) == ["gamma"]
    assert ids(api.get("/api/v1/flows/search?filters[labels][EQUALS][env]=dev")) == ["beta"]


def test_search_pages_and_sorts_with_link_headers(api, catalog):
    response = api.get("/api/v1/flows/search?size=2&page=2&sort=id:desc")
    assert ids(response) == ["beta", "alpha"]
    assert response.json()["total"] == 4
    links = response["Link"]
    assert 'rel="first"' in links and 'rel="prev"' in links and 'rel="last"' in links and 'rel="next"' not in links
    assert "page=1" in links.split(",")[0]
    assert ids(api.get("/api/v1/flows/search?size=2&page=3")) == []


@pytest.mark.parametrize(
    ("query", "path", "status", "slug"),
    [
        ("sort=colour:asc", "sort", 422, "invalid-sort"),
        ("sort=id:sideways", "sort", 422, "invalid-sort"),
        ("page=0", "page", 400, "invalid-query-parameter"),
        ("size=100000", "size", 400, "invalid-query-parameter"),
        ("labels=novalue", "labels", 400, "invalid-query-parameter"),
        ("filters[state][EQUALS]=x", "filters[state][EQUALS]", 400, "invalid-query-filters"),
        ("filters[namespace][BOGUS]=x", "filters[namespace][BOGUS]", 400, "invalid-query-filters"),
        ("filters[namespace][REGEX]=x", "filters[namespace][REGEX]", 400, "invalid-query-filters"),
    ],
)
def test_bad_search_parameters_are_rejected_naming_the_parameter(api, catalog, query, path, status, slug):
    body = assert_problem(api.get(f"/api/v1/flows/search?{query}"), status, slug)
    assert body["errors"][0]["path"] == path


def test_delete_hides_the_flow_keeps_its_executions_and_numbering(api):
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    execution_id = api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart").json()["id"]
    run_to_end(execution_id)
    assert api.delete("/api/v1/flows/acme.sales/hello").status_code == 204
    assert_problem(api.get("/api/v1/flows/acme.sales/hello"), 404, "not-found")
    assert_problem(api.delete("/api/v1/flows/acme.sales/hello"), 404, "not-found")
    assert_problem(api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart"), 404, "not-found")
    assert api.get(f"/api/v1/executions/{execution_id}").json()["state"]["current"] == "SUCCESS"
    assert ids(api.get("/api/v1/flows/search")) == []
    assert api.post("/api/v1/flows", HELLO, content_type=YAML).json()["revision"] == 2


def test_three_saves_make_three_revisions_and_executions_keep_theirs(api):
    api.post("/api/v1/flows", HELLO, content_type=YAML)
    api.put("/api/v1/flows/acme.sales/hello", HELLO.replace("| upper", "| lower"), content_type=YAML)
    on_two = api.post("/api/v1/executions/acme.sales/hello", {"name": "Ada"}, format="multipart").json()["id"]
    api.put("/api/v1/flows/acme.sales/hello", HELLO.replace("| upper", "| title"), content_type=YAML)
    revisions = api.get("/api/v1/flows/acme.sales/hello/revisions").json()
    assert [revision["revision"] for revision in revisions] == [1, 2, 3]
    assert revisions[0]["source"] == HELLO
    assert run_to_end(on_two).outputs == {"shout": "ada"}
    assert api.get(f"/api/v1/executions/{on_two}").json()["flowRevision"] == 2


def test_validate_reports_each_document_with_lines_in_the_whole_stream(api):
    stream = flow("good", "acme") + "---\n" + "id: bad\nnamespace: Acme\ntasks: []\n"
    response = api.post("/api/v1/flows/validate", stream, content_type=YAML)
    assert response.status_code == 200
    good, bad = response.json()
    assert good == {
        "index": 0, "namespace": "acme", "flow": "good", "outdated": False,
        "deprecationPaths": [], "warnings": [], "infos": [], "errors": [],
    }  # fmt: skip
    assert (bad["index"], bad["flow"], bad["namespace"]) == (1, "bad", "Acme")
    assert [(error["path"], error["line"]) for error in bad["errors"]] == [("namespace", 9), ("tasks", 10)]
    assert bad["constraints"].startswith("namespace: must be lower-case")
    assert not FlowRevision.objects.exists()


def test_validate_warns_of_what_a_valid_flow_asks_that_flowhub_cannot_run_yet(api):
    stream = flow("plain", "acme") + "---\n" + flow("guarded", "acme") + NOT_RUNNABLE_TASK
    plain, guarded = api.post("/api/v1/flows/validate", stream, content_type=YAML).json()
    assert plain["warnings"] == []
    assert guarded["errors"] == [] and "constraints" not in guarded
    assert guarded["warnings"] == [f"tasks[1].cache: {NOT_RUNNABLE_DETAIL} (line 16, column 12)"]


def test_disable_and_enable_rewrite_the_yaml_as_new_revisions(api):
    api.post("/api/v1/flows", "# keep me\n" + HELLO, content_type=YAML)
    refs = [{"namespace": "acme.sales", "id": "hello"}, {"namespace": "acme.sales", "id": "ghost"}]
    assert api.post("/api/v1/flows/disable/by-ids", refs, format="json").json() == {"count": 1}
    disabled = api.get("/api/v1/flows/acme.sales/hello?source=true").json()
    assert disabled["disabled"] is True and disabled["revision"] == 2
    assert disabled["source"] == "# keep me\n" + HELLO + "disabled: true\n"
    assert_problem(api.post("/api/v1/executions/acme.sales/hello", {}, format="multipart"), 409, "conflict")
    assert api.post("/api/v1/flows/disable/by-ids", refs, format="json").json() == {"count": 0}
    assert api.post("/api/v1/flows/enable/by-ids", refs, format="json").json() == {"count": 1}
    enabled = api.get("/api/v1/flows/acme.sales/hello?source=true").json()
    assert enabled["disabled"] is False and enabled["source"].endswith("disabled: false\n")
    assert not Execution.objects.exists()


def test_toggle_needs_a_list_of_references(api):
    body = assert_problem(
        api.post("/api/v1/flows/enable/by-ids", [{"id": "x"}], format="json"), 400, "invalid-query-parameter"
    )
    assert body["errors"][0]["path"] == "0.namespace"


def test_duplicate_rewrites_id_and_namespace_and_keeps_the_rest(api):
    api.post("/api/v1/flows", "# original\n" + HELLO, content_type=YAML)
    response = api.post("/api/v1/flows/acme.sales/hello/duplicate", {"id": "hello-copy", "namespace": "acme.ops"})
    assert response.status_code == 200, response.content
    copy = response.json()
    assert (copy["id"], copy["namespace"], copy["revision"]) == ("hello-copy", "acme.ops", 1)
    expected = ("# original\n" + HELLO).replace("id: hello\n", "id: hello-copy\n").replace("acme.sales", "acme.ops")
    assert copy["source"] == expected
    assert_problem(
        api.post("/api/v1/flows/acme.sales/hello/duplicate", {"namespace": "acme.ops", "id": "hello-copy"}),
        409,
        "conflict",
    )
    assert_problem(api.post("/api/v1/flows/acme.sales/hello/duplicate", {}), 422, "validation-failed")
    assert_problem(api.post("/api/v1/flows/acme.sales/nope/duplicate", {"id": "x"}), 404, "not-found")
    assert_problem(
        api.post("/api/v1/flows/acme.sales/hello/duplicate", {"namespace": "Bad..ns"}), 422, "invalid-entity"
    )


def test_distinct_namespaces_lists_those_with_flows(api, catalog):
    assert api.get("/api/v1/flows/distinct-namespaces").json() == ["acme", "acme.sales", "acme.sales.eu", "acmeother"]
    assert api.get("/api/v1/flows/distinct-namespaces?q=sales").json() == ["acme.sales", "acme.sales.eu"]


def test_search_takes_a_fixed_number_of_queries(api, catalog, django_assert_num_queries):
    with django_assert_num_queries(3):  # user, count, page with current revisions
        assert api.get("/api/v1/flows/search?size=50").status_code == 200


def test_label_keys_with_dots_and_double_underscores_match_literally(api):
    api.post("/api/v1/flows", flow("odd", "acme", 'labels:\n  "app.tier__x": gold\n'), content_type=YAML)
    assert ids(api.get("/api/v1/flows/search?labels=app.tier__x:gold")) == ["odd"]
    assert ids(api.get("/api/v1/flows/search?labels=app.tier__x:silver")) == []
