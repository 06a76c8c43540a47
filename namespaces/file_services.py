"""Writes of namespace files: every new revision and every change of the tree goes through here.

A write streams the bytes into a new storage object first (file_blobs.py), outside any
transaction, then records it in one; if recording fails the object is deleted again, so a
failed upload leaves nothing behind. Each write keeps the file's previous revisions, up to
`FLOWHUB_FILE_VERSIONS` of them. Objects that a delete or that limit frees are deleted once the
transaction has committed (a crash in between leaves an orphan object, never a dangling row).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Max, Q, QuerySet

from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.errors import ErrorDetail
from flowhub.exceptions import Conflict, Invalid, NotFound

from .file_blobs import blob_open, blob_save, blobs_delete
from .file_paths import MAX_PATH_BYTES, ROOT, ancestors, file_path, parent_of
from .file_selectors import namespace_file_revision_get, namespace_files
from .models import NamespaceFile, NamespaceFileRevision
from .services import namespace_checked, namespace_ensure

T = TypeVar("T")


def namespace_file_write(*, namespace: str, path: str, content: File) -> NamespaceFile:
    """Create or overwrite the file at `path` (its directories too) with `content`, read in chunks."""
    path = _file_target(namespace, path)
    blob, size = blob_save(namespace=namespace, content=content)
    return recorded([blob], lambda: _file_written(namespace, path, blob, size, AuditAction.FILE_WRITE))


def namespace_file_restore(*, namespace: str, path: str, revision: int) -> NamespaceFile:
    """Make `revision`'s content the file's newest revision (the revisions in between stay)."""
    path = _file_target(namespace, path)
    old = namespace_file_revision_get(namespace=namespace, path=path, revision=revision)
    with blob_open(old.blob) as stream:
        blob, size = blob_save(namespace=namespace, content=File(stream))
    restore = AuditAction.FILE_RESTORE
    return recorded([blob], lambda: _file_written(namespace, path, blob, size, restore, restored=revision))


def namespace_directory_create(*, namespace: str, path: str) -> None:
    """Create a directory and those above it; nothing to do if it exists (the root always does)."""
    path = file_path(path)
    namespace_checked(namespace)
    if path == ROOT:
        return
    with transaction.atomic():
        namespace_ensure(namespace=namespace)
        directories_ensure(namespace=namespace, paths=[*ancestors(path), path], field="path")
        audit_record(action=AuditAction.DIRECTORY_CREATE, namespace=namespace, target=path)


def namespace_file_delete(*, namespace: str, path: str) -> None:
    """Delete a file, or a directory and everything in it; then the directories this left empty."""
    path = file_path(path)
    if path == ROOT:
        raise Invalid("the root directory cannot be deleted", [ErrorDetail("path", "is the root directory")])
    files = namespace_files(namespace=namespace)
    with transaction.atomic():
        # Directories are locked outermost first, as writers lock them, so that a writer adding to
        # a directory and this delete removing it once empty wait for each other, never deadlock.
        list(files.select_for_update().filter(path__in=ancestors(path)).order_by("path"))
        _locked(files, path)
        doomed = files.filter(Q(path=path) | Q(path__startswith=path + "/"))
        blobs = list(NamespaceFileRevision.objects.filter(file__in=doomed).values_list("blob", flat=True))
        doomed.delete()
        directory = parent_of(path)
        while directory != ROOT and not files.filter(parent=directory).exists():
            files.filter(path=directory).delete()
            directory = parent_of(directory)
        transaction.on_commit(partial(blobs_delete, blobs))
        audit_record(action=AuditAction.FILE_DELETE, namespace=namespace, target=path)


def namespace_file_move(*, namespace: str, source: str, target: str) -> None:
    """Move or rename a file or a directory with everything in it; `target` must not exist."""
    source, target = file_path(source, field="from"), file_path(target, field="to")
    if source == ROOT:
        raise Invalid("the root directory cannot be moved", [ErrorDetail("from", "is the root directory")])
    if target.startswith(source + "/"):
        raise Invalid(f"cannot move '{source}' into itself", [ErrorDetail("to", f"is inside '{source}'")])
    files = namespace_files(namespace=namespace)
    with transaction.atomic():
        moved = _locked(files, source)
        if target == ROOT or files.filter(path=target).exists():
            raise Conflict(f"'{target}' already exists", [ErrorDetail("to", "already exists")])
        directories_ensure(namespace=namespace, paths=ancestors(target), field="to")
        rows = [moved, *files.filter(path__startswith=source + "/")]
        for row in rows:
            row.path = target + row.path.removeprefix(source)
            row.parent = parent_of(row.path)
            if len(row.path.encode("utf-8")) > MAX_PATH_BYTES:
                raise Invalid(
                    f"the move would make '{row.path[:100]}…' longer than {MAX_PATH_BYTES} bytes",
                    [ErrorDetail("to", f"makes a path inside longer than {MAX_PATH_BYTES} bytes")],
                )
        NamespaceFile.objects.bulk_update(rows, ["path", "parent"])
        audit_record(action=AuditAction.FILE_MOVE, namespace=namespace, target=source, to=target)


def recorded(blobs: list[str], record: Callable[[], T]) -> T:
    """`record()` in a transaction; if it fails, the objects written for it are deleted."""
    try:
        with transaction.atomic():
            return record()
    except BaseException:
        blobs_delete(blobs)
        raise


def _file_written(namespace: str, path: str, blob: str, size: int, action: AuditAction, **detail: Any) -> NamespaceFile:
    file = file_revision_add(namespace=namespace, path=path, blob=blob, size=size)
    audit_record(action=action, namespace=namespace, target=path, revision=file.current.revision, size=size, **detail)
    return file


def file_revision_add(*, namespace: str, path: str, blob: str, size: int) -> NamespaceFile:
    """Record `blob` as the newest revision of the file at `path` (created with its directories if
    missing) and drop the revisions past the limit. Call inside a transaction."""
    namespace_ensure(namespace=namespace)
    directories_ensure(namespace=namespace, paths=ancestors(path), field="path")
    file, _ = NamespaceFile.objects.select_for_update().get_or_create(
        namespace_id=namespace, path=path, defaults={"parent": parent_of(path), "kind": NamespaceFile.Kind.FILE}
    )
    if file.kind != NamespaceFile.Kind.FILE:
        raise Conflict(f"'{path}' is a directory", [ErrorDetail("path", "is a directory")])
    last = file.revisions.aggregate(last=Max("revision"))["last"] or 0
    file.current = NamespaceFileRevision.objects.create(file=file, revision=last + 1, blob=blob, size=size)
    file.save(update_fields=["current", "updated_at"])
    stale = list(file.revisions.order_by("-revision")[settings.FLOWHUB_FILE_VERSIONS + 1 :].values_list("pk", "blob"))
    if stale:
        NamespaceFileRevision.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
        transaction.on_commit(partial(blobs_delete, [name for _, name in stale]))
    return file


def directories_ensure(*, namespace: str, paths: list[str], field: str) -> None:
    """Create each directory of `paths` (outermost first) that is missing, locking each; Conflict if a
    file is in the way."""
    for path in paths:
        directory, _ = NamespaceFile.objects.select_for_update().get_or_create(
            namespace_id=namespace,
            path=path,
            defaults={"parent": parent_of(path), "kind": NamespaceFile.Kind.DIRECTORY},
        )
        if directory.kind != NamespaceFile.Kind.DIRECTORY:
            raise Conflict(f"'{path}' is a file, not a directory", [ErrorDetail(field, f"'{path}' is a file")])


def _file_target(namespace: str, path: str) -> str:
    namespace_checked(namespace)
    path = file_path(path)
    if path == ROOT:
        raise Invalid("the root is a directory, not a file", [ErrorDetail("path", "is the root directory")])
    return path


def _locked(files: QuerySet[NamespaceFile], path: str) -> NamespaceFile:
    found = files.select_for_update().filter(path=path).first()
    if found is None:
        raise NotFound(f"'{path}' does not exist")
    return found
