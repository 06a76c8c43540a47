"""Reads of namespace files: the tree, revisions, contents.

Other code (the engine's `read()`, script tasks' working directories) reads files through two
functions:

- `namespace_file_open(*, namespace, path, revision=None) -> IO[bytes]`: the file's bytes, of its
  current revision or of `revision`, as a binary stream to read in chunks and close (a context
  manager). Raises `NotFound` for a missing file, directory or revision and `Invalid` for a bad
  namespace or path.
- `namespace_file_read_text(*, namespace, path, max_bytes) -> str`: the current revision decoded
  as UTF-8. Raises `NotFound` for a missing file, `Invalid` for a bad namespace or path, a file
  larger than `max_bytes` or one that is not UTF-8.
- `namespace_files_materialize(*, namespace, directory, include, exclude) -> list[str]`: the current
  revision of every file selected by the globs (flowhub/engine/globs.py), written under a local
  directory at its path, as a script task's `namespaceFiles` wants them.

Every function takes paths as users write them (`a/b.txt`, `/a/b.txt`) and checks them
(file_paths.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone

from flowhub.engine import globs
from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Invalid, NotFound

from .file_blobs import CHUNK_BYTES, blob_open
from .file_paths import ROOT, file_path, name_of
from .models import Namespace, NamespaceFile, NamespaceFileRevision
from .services import namespace_checked


@dataclass(frozen=True)
class FileEntry:
    """What Kestra's FileAttributes say of a file or directory."""

    path: str
    kind: str
    size: int
    created_at: datetime
    modified_at: datetime

    @property
    def name(self) -> str:
        return "" if self.path == ROOT else name_of(self.path)

    @classmethod
    def of(cls, row: NamespaceFile) -> FileEntry:
        current = row.current
        return cls(
            path=row.path,
            kind=row.kind,
            size=current.size if current else 0,
            created_at=row.created_at,
            modified_at=current.created_at if current else row.updated_at,
        )


def namespace_file_stats(*, namespace: str, path: str = ROOT) -> FileEntry:
    """A file's or directory's attributes; the root always exists."""
    path = file_path(path)
    if path == ROOT:
        created = Namespace.objects.filter(id=namespace_checked(namespace)).values_list("created_at", flat=True)
        moment = created.first() or timezone.now()
        return FileEntry(path=ROOT, kind=NamespaceFile.Kind.DIRECTORY, size=0, created_at=moment, modified_at=moment)
    return FileEntry.of(_entry(namespace, path))


def namespace_directory_list(*, namespace: str, path: str = ROOT) -> list[FileEntry]:
    """The direct children of a directory, by name; the root always exists, even when empty."""
    path = file_path(path)
    if path != ROOT and _entry(namespace, path).kind != NamespaceFile.Kind.DIRECTORY:
        raise Invalid(f"'{path}' is a file, not a directory", [ErrorDetail("path", "is a file, not a directory")])
    children = namespace_files(namespace=namespace).filter(parent=path).select_related("current").order_by("path")
    return [FileEntry.of(child) for child in children]


def namespace_files(*, namespace: str) -> QuerySet[NamespaceFile]:
    """Every file and directory of a namespace; Invalid for a bad namespace name."""
    return NamespaceFile.objects.filter(namespace_id=namespace_checked(namespace))


def namespace_file_search(*, namespace: str, text: str) -> list[str]:
    """Paths of the files whose path contains `text`, ignoring case."""
    found = namespace_files(namespace=namespace).filter(kind=NamespaceFile.Kind.FILE, path__icontains=text)
    return list(found.order_by("path").values_list("path", flat=True))


def namespace_file_revisions(*, namespace: str, path: str) -> list[int]:
    """The revision numbers kept for a file, oldest first."""
    file = _file(namespace, file_path(path))
    return list(file.revisions.order_by("revision").values_list("revision", flat=True))


def namespace_file_revision_get(*, namespace: str, path: str, revision: int | None = None) -> NamespaceFileRevision:
    """A file's current revision, or the numbered one."""
    path = file_path(path)
    file = _file(namespace, path)
    found = file.current if revision is None else file.revisions.filter(revision=revision).first()
    if found is None:
        raise NotFound(f"file '{path}' has no revision {revision}")
    found.file = file  # already at hand: spares a query to whoever reads it
    return found


def namespace_file_open(*, namespace: str, path: str, revision: int | None = None) -> IO[bytes]:
    found = namespace_file_revision_get(namespace=namespace, path=path, revision=revision)
    return blob_open(found.blob)


def namespace_file_read_text(*, namespace: str, path: str, max_bytes: int) -> str:
    path = file_path(path)
    found = namespace_file_revision_get(namespace=namespace, path=path)
    if found.size > max_bytes:
        raise Invalid(
            f"file '{path}' is larger than {max_bytes} bytes",
            [ErrorDetail("path", f"the file has {found.size} bytes, more than the {max_bytes} allowed")],
        )
    with blob_open(found.blob) as stream:
        data = stream.read(max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"file '{path}' is not UTF-8 text", [ErrorDetail("path", f"not UTF-8 at byte {exc.start}")]
        ) from None


def namespace_files_materialize(
    *, namespace: str, directory: Path, include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[str]:
    """Write the selected files under `directory`, streamed; their paths, sorted."""
    rows = namespace_files(namespace=namespace).filter(kind=NamespaceFile.Kind.FILE).select_related("current")
    chosen = [row for row in rows.order_by("path") if row.current and globs.selected(row.path, include, exclude)]
    for row in chosen:
        target = directory.joinpath(*row.path.lstrip("/").split("/"))  # confined: paths have no `..` segment
        target.parent.mkdir(parents=True, exist_ok=True)
        with blob_open(row.current.blob) as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, CHUNK_BYTES)
    return [row.path for row in chosen]


def _entry(namespace: str, path: str) -> NamespaceFile:
    found = namespace_files(namespace=namespace).select_related("current").filter(path=path).first()
    if found is None:
        raise NotFound(f"'{path}' does not exist in namespace '{namespace}'")
    return found


def _file(namespace: str, path: str) -> NamespaceFile:
    found = _entry(namespace, path) if path != ROOT else None
    if found is None or found.kind != NamespaceFile.Kind.FILE:
        raise Invalid(f"'{path}' is a directory, not a file", [ErrorDetail("path", "is a directory, not a file")])
    return found
