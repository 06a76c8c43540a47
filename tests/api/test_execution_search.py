"""Finding executions: GET /executions/search with Kestra's filters and its flat parameters, GET /executions by
flow; paging, sorting, and every bad parameter."""

from datetime import timedelta

import pytest
from django.utils import timezone

from executions.models import Execution
from tests.engine.flows import HELLO

from .drive import drive_until, run_to_end
from .helpers import assert_problem, ids
from .test_subflows import CHILD, parent, save

BROKEN = """\
id: broken
namespace: acme.sales.eu
labels:
  env: prod
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
"""
OTHER = "id: delta\nnamespace: acmeother\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


def trigger(api, namespace: str, flow_id: str, query: str = "") -> str:
    response = api.post(f"/api/v1/executions/{namespace}/{flow_id}{query}", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["id"]


@pytest.fixture
def history(api) -> dict[str, str]:
    """Four executions, started a day, three hours, one hour and a minute ago:
    `succeeded` (acme.sales/hello, env:prod), `failed` (acme.sales.eu/broken, env:prod from its flow),
    `waiting` (acme.sales/hello, env:dev, CREATED), `other` (acmeother/delta, CREATED)."""
    save(api, HELLO, BROKEN, OTHER)
    made = {
        "succeeded": trigger(api, "acme.sales", "hello", "?labels=env:prod"),
        "failed": trigger(api, "acme.sales.eu", "broken"),
        "waiting": trigger(api, "acme.sales", "hello", "?labels=env:dev"),
        "other": trigger(api, "acmeother", "delta"),
    }
    run_to_end(made["succeeded"])
    run_to_end(made["failed"])
    now = timezone.now()
    ages = (timedelta(days=1), timedelta(hours=3), timedelta(hours=1), timedelta(minutes=1))
    for name, ago in zip(made, ages, strict=True):
        ended = {"ended_at": now - ago + timedelta(minutes=5)} if name in ("succeeded", "failed") else {}
        Execution.objects.filter(pk=made[name]).update(created_at=now - ago, **ended)
    return made


def found(api, query: str) -> list[str]:
    response = api.get(f"/api/v1/executions/search?{query}")
    assert response.status_code == 200, response.content
    return ids(response)


def named(history: dict[str, str], *names: str) -> list[str]:
    return [history[name] for name in names]


def test_search_answers_every_execution_newest_first_with_paging_headers(api, history):
    response = api.get("/api/v1/executions/search?size=3")
    assert ids(response) == named(history, "other", "waiting", "failed")
    assert response.json()["total"] == 4 and response["X-Total-Count"] == "4"
    assert 'rel="next"' in response["Link"] and "page=2" in response["Link"]
    assert ids(api.get("/api/v1/executions/search?size=3&page=2")) == named(history, "succeeded")
    first = response.json()["results"][0]
    assert first["progress"] == {"total": 1, "done": 0, "percent": 0, "current": []}
    assert first["taskRunList"] == [] and first["state"]["current"] == "CREATED"


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("filters[namespace][PREFIX]=acme.sales", ["waiting", "failed", "succeeded"]),
        ("namespace=acme.sales", ["waiting", "failed", "succeeded"]),
        ("filters[namespace][PREFIX]=acme", ["waiting", "failed", "succeeded"]),
        ("filters[namespace][STARTS_WITH]=acme", ["other", "waiting", "failed", "succeeded"]),
        ("filters[namespace][EQUALS]=acme.sales", ["waiting", "succeeded"]),
        ("filters[namespace][NOT_EQUALS]=acme.sales", ["other", "failed"]),
        ("filters[namespace][IN]=acmeother,acme.sales.eu", ["other", "failed"]),
        ("filters[flowId][EQUALS]=hello", ["waiting", "succeeded"]),
        ("flowId=broken", ["failed"]),
        ("filters[flowId][CONTAINS]=HEL", ["waiting", "succeeded"]),
        ("filters[flowId][ENDS_WITH]=ken", ["failed"]),
        ("filters[flowId][NOT_CONTAINS]=l", ["failed"]),
        ("filters[state][EQUALS]=SUCCESS", ["succeeded"]),
        ("filters[state][IN]=SUCCESS,FAILED", ["failed", "succeeded"]),
        ("filters[state][NOT_IN]=CREATED", ["failed", "succeeded"]),
        ("state=CREATED&state=FAILED", ["other", "waiting", "failed"]),
        ("filters[labels][EQUALS][env]=prod", ["failed", "succeeded"]),
        ("labels=env:dev", ["waiting"]),
        ("labels=env:prod&labels=team:sales", ["succeeded"]),
        ("filters[labels][NOT_EQUALS][env]=prod", ["other", "waiting"]),
        ("q=roke", ["failed"]),
        ("filters[q][EQUALS]=acmeoth", ["other"]),
        ("timeRange=PT2H", ["other", "waiting"]),
        ("filters[timeRange][EQUALS]=P2D", ["other", "waiting", "failed", "succeeded"]),
        ("filters[startDate][LESS_THAN]={two_hours_ago}", ["failed", "succeeded"]),
        ("startDate={two_hours_ago}", ["other", "waiting"]),
        ("endDate={two_hours_ago}", ["failed", "succeeded"]),
        ("filters[endDate][GREATER_THAN_OR_EQUAL_TO]={two_hours_ago}", []),
        ("filters[childFilter][EQUALS]=MAIN", ["other", "waiting", "failed", "succeeded"]),
        ("childFilter=CHILD", []),
    ],
)
def test_filters_and_flat_parameters_select_executions(api, history, query, names):
    two_hours_ago = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found(api, query.format(two_hours_ago=two_hours_ago)) == named(history, *names)


def test_id_filters(api, history):
    assert found(api, f"filters[id][EQUALS]={history['failed']}") == named(history, "failed")
    chosen = f"{history['other']},{history['succeeded']}"
    assert found(api, f"filters[id][IN]={chosen}") == named(history, "other", "succeeded")


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        ("state.startDate:asc", ["succeeded", "failed", "waiting", "other"]),
        ("flowId:desc&sort=state.startDate:asc", ["succeeded", "waiting", "other", "failed"]),
        ("state.current:asc&sort=state.startDate:desc", ["other", "waiting", "failed", "succeeded"]),
        ("state.endDate:desc&sort=id:asc", None),
    ],
)
def test_sort_fields_are_kestra_s(api, history, sort, names):
    if names is None:  # where NULLs sort differs between databases: only the ended ones' order is checked
        ended = [
            found_id for found_id in found(api, f"sort={sort}") if found_id in named(history, "failed", "succeeded")
        ]
        assert ended == named(history, "failed", "succeeded")
        return
    assert found(api, f"sort={sort}") == named(history, *names)


def test_subflow_executions_are_found_as_children_of_their_parent(api):
    save(api, CHILD, parent())
    parent_id = trigger(api, "acme", "parent")
    drive_until(lambda: Execution.objects.get(pk=parent_id).state == "SUCCESS")
    child_id = Execution.objects.get(parent_id=parent_id).id
    assert found(api, "childFilter=CHILD") == [child_id]
    assert found(api, "filters[childFilter][EQUALS]=MAIN") == [parent_id]
    assert found(api, f"filters[parentId][EQUALS]={parent_id}") == [child_id]


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("filters[state][IN]=SUCCESS,BOGUS", "filters[state][IN]"),
        ("state=BOGUS", "filters[state][IN]"),
        ("filters[startDate][GREATER_THAN]=yesterday", "filters[startDate][GREATER_THAN]"),
        ("startDate=2024-01-01T00:00:00", "filters[startDate][GREATER_THAN_OR_EQUAL_TO]"),
        ("timeRange=24h", "filters[timeRange][EQUALS]"),
        ("filters[childFilter][EQUALS]=SOME", "filters[childFilter][EQUALS]"),
        ("timeRange=PT1H&startDate=2024-01-01T00:00:00Z", "timeRange"),
        ("filters[labels][EQUALS]=prod", "filters[labels][EQUALS]"),
        ("sort=duration:desc", "sort"),
        ("sort=state.startDate:sideways", "sort"),
    ],
)
def test_a_value_that_does_not_fit_its_field_is_422_naming_the_parameter(api, history, query, path):
    slug = "invalid-sort" if path == "sort" else "validation-failed"
    body = assert_problem(api.get(f"/api/v1/executions/search?{query}"), 422, slug)
    assert body["errors"][0]["path"] == path


@pytest.mark.parametrize(
    ("query", "path", "slug"),
    [
        ("filters[colour][EQUALS]=red", "filters[colour][EQUALS]", "invalid-query-filters"),
        ("filters[state][STARTS_WITH]=SUC", "filters[state][STARTS_WITH]", "invalid-query-filters"),
        ("filters[state]=SUCCESS", "filters[state]", "invalid-query-filters"),
        ("labels=novalue", "labels.0", "invalid-query-parameter"),
        ("page=0", "page", "invalid-query-parameter"),
        ("size=1001", "size", "invalid-query-parameter"),
    ],
)
def test_a_malformed_query_is_400_naming_the_parameter(api, history, query, path, slug):
    body = assert_problem(api.get(f"/api/v1/executions/search?{query}"), 400, slug)
    assert body["errors"][0]["path"] == path


def test_the_executions_of_one_flow(api, history):
    response = api.get("/api/v1/main/executions?namespace=acme.sales&flowId=hello&size=1")
    assert ids(response) == named(history, "waiting") and response["X-Total-Count"] == "2"
    assert ids(api.get("/api/v1/executions?namespace=acme&flowId=hello")) == []  # the namespace is exact
    body = assert_problem(api.get("/api/v1/executions?namespace=acme.sales"), 400, "invalid-query-parameter")
    assert body["errors"][0]["path"] == "flowId"


def test_a_search_takes_a_fixed_number_of_queries(api, history, django_assert_num_queries):
    with django_assert_num_queries(4):  # user, count, page of executions with their revisions, task runs
        assert len(found(api, "size=2")) == 2
    with django_assert_num_queries(4):
        assert len(found(api, "size=4")) == 4


def test_search_requires_authentication(anonymous, history):
    assert_problem(anonymous.get("/api/v1/executions/search"), 401, "unauthenticated")
