from .helpers import assert_problem, flow, ids


def test_search_lists_every_namespace_with_its_flow_count(api, catalog):
    body = api.get("/api/v1/namespaces/search").json()
    assert body["total"] == 4
    assert [(item["id"], item["flowCount"]) for item in body["results"]] == [
        ("acme", 1),
        ("acme.sales", 1),
        ("acme.sales.eu", 1),
        ("acmeother", 1),
    ]
    assert ids(api.get("/api/v1/main/namespaces/search?q=sales&sort=id:desc")) == ["acme.sales.eu", "acme.sales"]


def test_parents_exist_with_zero_flows(api):
    api.post("/api/v1/flows", flow("deep", "a.b.c"), content_type="application/x-yaml")
    assert api.get("/api/v1/namespaces/a").json() == {"id": "a", "flowCount": 0, "deleted": False}
    assert api.get("/api/v1/namespaces/a.b.c").json()["flowCount"] == 1


def test_tree_nests_every_namespace_below(api, catalog):
    assert api.get("/api/v1/namespaces/acme/tree").json() == {
        "id": "acme",
        "flowCount": 1,
        "children": [
            {
                "id": "acme.sales",
                "flowCount": 1,
                "children": [{"id": "acme.sales.eu", "flowCount": 1, "children": []}],
            }
        ],
    }


def test_deleted_flows_are_not_counted(api, catalog):
    api.delete("/api/v1/flows/acme/alpha")
    assert api.get("/api/v1/namespaces/acme").json()["flowCount"] == 0


def test_unknown_namespace_is_404(api, catalog):
    assert_problem(api.get("/api/v1/namespaces/nope"), 404, "not-found")
    assert_problem(api.get("/api/v1/namespaces/nope/tree"), 404, "not-found")
    assert_problem(api.get("/api/v1/namespaces/search?sort=size:asc"), 422, "invalid-sort")
