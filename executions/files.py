"""Execution files in the default storage, addressed by Kestra's internal URIs.

`kestra:///acme/sales/hello/executions/<id>/inputs/<input>/<file>` is stored at the same path,
without the scheme, in `STORAGES["default"]` (local disk or S3). Uploads stream to storage in
chunks; nothing is held in memory whole.
"""

from __future__ import annotations

from typing import IO

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename

from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Invalid, NotFound
from namespaces.file_blobs import blob_open

SCHEME = "kestra://"


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    return f"{namespace.replace('.', '/')}/{flow_id}/executions/{execution_id}"


def execution_file_path(*, prefix: str, uri: str, field: str) -> str:
    """Where the `kestra:///` file `uri` is stored, if it is under `prefix` (an execution's own files);
    Invalid, naming `field`, for any other URI."""
    path = uri.removeprefix(f"{SCHEME}/")
    if path == uri or not path.startswith(prefix + "/") or ".." in path.split("/") or "\x00" in path:
        raise Invalid(
            f"'{uri[:200]}' is not a file of execution {prefix.rsplit('/', 1)[-1]}",
            [ErrorDetail(field, f"must start with {SCHEME}/{prefix}/")],
        )
    return path


def execution_file_open(*, prefix: str, uri: str, field: str) -> IO[bytes]:
    """The stored file `uri` of the execution whose files are under `prefix`, as a stream (from S3 too)."""
    return blob_open(_existing(prefix, uri, field))


def execution_file_size(*, prefix: str, uri: str, field: str) -> int:
    return default_storage.size(_existing(prefix, uri, field))


def _existing(prefix: str, uri: str, field: str) -> str:
    path = execution_file_path(prefix=prefix, uri=uri, field=field)
    if not default_storage.exists(path):
        raise NotFound(f"no file at '{uri[:200]}'")
    return path


def store_input_file(*, namespace: str, flow_id: str, execution_id: str, input_id: str, upload: UploadedFile) -> str:
    """Store an uploaded FILE input; its internal URI."""
    filename = get_valid_filename(upload.name or input_id) if upload.name else input_id
    path = f"{execution_prefix(namespace, flow_id, execution_id)}/inputs/{input_id}/{filename}"
    stored = default_storage.save(path, upload)
    return f"{SCHEME}/{stored}"


def delete_execution_files(uris: list[str]) -> None:
    for uri in uris:
        default_storage.delete(uri.removeprefix(f"{SCHEME}/"))
