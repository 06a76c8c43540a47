import pytest

from .helpers import YAML, flow


@pytest.fixture
def catalog(api):
    for source in [
        flow("alpha", "acme", "labels:\n  env: prod\n"),
        flow("beta", "acme.sales", "labels:\n  env: dev\n"),
        flow("gamma", "acme.sales.eu", "labels:\n  env: prod\n  team: eu\n"),
        flow("delta", "acmeother"),
    ]:
        assert api.post("/api/v1/flows", source, content_type=YAML).status_code == 200
