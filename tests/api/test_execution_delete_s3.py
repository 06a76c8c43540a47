"""Deleting an execution whose files are on S3 (moto in server mode, reached through django-storages)."""

from .helpers import YAML
from .namespace_files import stored_objects
from .test_execution_delete import FILED, run_filed
from .test_namespace_files_s3 import bucket, s3_endpoint  # noqa: F401  (a fresh bucket as the default storage)


def test_deleting_an_execution_deletes_its_objects_on_s3(api):
    api.post("/api/v1/flows", FILED, content_type=YAML)
    kept = run_filed(api)
    deleted = run_filed(api)
    assert len(stored_objects()) == 4
    assert api.delete(f"/api/v1/executions/{deleted}").json() == {"id": deleted, "deletedLogs": 1, "deletedFiles": 2}
    remaining = stored_objects()
    assert len(remaining) == 2 and all(f"/executions/{kept}/" in name for name in remaining)
