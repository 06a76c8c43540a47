"""Execution files in the default storage, addressed by Kestra's internal URIs.

`kestra:///acme/sales/hello/executions/<id>/inputs/<input>/<file>` is stored at the same path,
without the scheme, in `STORAGES["default"]` (local disk or S3). Uploads stream to storage in
chunks; nothing is held in memory whole.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def execution_file_path(*, prefixes: Sequence[str], uri: str, field: str) -> str:
    """Where the `kestra:///` file `uri` is stored, if it is under one of `prefixes` (an execution's own
    files first, then those of the executions it came from); Invalid, naming `field`, for any other URI."""
    path = uri.removeprefix(f"{SCHEME}/")
    inside = any(path.startswith(prefix + "/") for prefix in prefixes)
    if path == uri or not inside or ".." in path.split("/") or "\x00" in path:
        raise Invalid(
            f"'{uri[:200]}' is not a file of execution {prefixes[0].rsplit('/', 1)[-1]}",
            [ErrorDetail(field, f"must start with {SCHEME}/{prefixes[0]}/")],
        )
    return path


def execution_file_open(*, prefixes: Sequence[str], uri: str, field: str) -> IO[bytes]:
    """The stored file `uri` under one of `prefixes` (see `execution_file_path`), as a stream (from S3 too)."""
    return blob_open(_existing(prefixes, uri, field))


def execution_file_size(*, prefixes: Sequence[str], uri: str, field: str) -> int:
    return default_storage.size(_existing(prefixes, uri, field))


def _existing(prefixes: Sequence[str], uri: str, field: str) -> str:
    path = execution_file_path(prefixes=prefixes, uri=uri, field=field)
    if not default_storage.exists(path):
        raise NotFound(f"no file at '{uri[:200]}'")
    return path


def store_input_file(*, namespace: str, flow_id: str, execution_id: str, input_id: str, upload: UploadedFile) -> str:
    """Store an uploaded FILE input; its internal URI."""
    return store_upload(
        namespace=namespace, flow_id=flow_id, execution_id=execution_id, folder=f"inputs/{input_id}", upload=upload
    )


def store_upload(*, namespace: str, flow_id: str, execution_id: str, folder: str, upload: UploadedFile) -> str:
    """Store an upload in `folder` of an execution's files (`inputs/<input>`, `webhook/<n>`), under its own
    name made safe (or the folder's last segment, for one sent without a name), streamed in chunks; its URI."""
    filename = get_valid_filename(upload.name) if upload.name else folder.rsplit("/", 1)[-1]
    stored = default_storage.save(f"{execution_prefix(namespace, flow_id, execution_id)}/{folder}/{filename}", upload)
    return f"{SCHEME}/{stored}"


def delete_execution_files(uris: list[str]) -> None:
    for uri in uris:
        default_storage.delete(uri.removeprefix(f"{SCHEME}/"))


def execution_files_delete(*, namespace: str, flow_id: str, execution_id: str) -> int:
    """Delete every stored file of an execution (its FILE inputs, its tasks' output files); how many there were."""
    return _tree_delete(execution_prefix(namespace, flow_id, execution_id))


def _tree_delete(path: str) -> int:
    try:
        directories, files = default_storage.listdir(path)
    except FileNotFoundError:  # local storage, nothing ever stored; S3 lists an unknown prefix as empty
        return 0
    for name in files:
        default_storage.delete(f"{path}/{name}")
    deleted = len(files) + sum(_tree_delete(f"{path}/{name}") for name in directories)
    default_storage.delete(path)  # the emptied directory, on local storage; S3 has none
    return deleted
