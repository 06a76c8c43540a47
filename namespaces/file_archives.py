"""Zip archives of a namespace's files, Kestra's way: export, and upload of a `.zip`.

The export holds every directory and file (current revisions) under its path without the
leading `/`, and every flow of the namespace as `_flows/<flow id>.yml`. It is produced while it
is sent: each file is read and deflated chunk by chunk, whatever its size.

An uploaded zip is extracted in the same layout, all or nothing: entries are checked first, then
each file's bytes stored, then everything recorded in one transaction. Entries under `_flows/`
are saved as flows of the namespace, their `namespace:` rewritten. What an archive unpacks to
is bounded like any upload: FLOWHUB_MAX_UPLOAD_BYTES in all, MAX_ENTRIES entries.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.files import File

from access.selectors import Saver
from audit.actions import AuditAction
from audit.services import audit_record
from flowhub.engine.errors import EngineError, ErrorDetail, InvalidFlowError
from flowhub.engine.sourceedit import set_top_level
from flowhub.engine.yamlsource import MAX_SOURCE_BYTES
from flowhub.exceptions import Invalid, TooLarge

from . import services
from .file_blobs import blob_chunks, blob_save, blobs_delete
from .file_paths import FLOWS_DIRECTORY, ancestors, file_path
from .file_selectors import namespace_files
from .file_services import directories_ensure, file_revision_add, recorded
from .flows import parse_source
from .models import Flow, NamespaceFile
from .selectors import flow_list
from .services import namespace_checked

MAX_ENTRIES = 10_000
FIELD = "fileContent"


def namespace_files_export(*, namespace: str) -> Iterator[bytes]:
    """The zip, as chunks. What it holds is read from the database now, the bytes as it is consumed."""
    entries = list(namespace_files(namespace=namespace).select_related("current").order_by("path"))
    flows = [(flow.flow_id, flow.current.source) for flow in flow_list(namespace=namespace) if flow.current]
    return _zip_chunks(entries, flows)


def _zip_chunks(entries: list[NamespaceFile], flows: list[tuple[str, str]]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            name = entry.path.removeprefix("/")
            if entry.current is None:
                archive.mkdir(name)
                continue
            info = zipfile.ZipInfo(name, date_time=entry.current.created_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = entry.current.size  # lets zipfile choose ZIP64 up front for large files
            with archive.open(info, "w") as member:
                for chunk in blob_chunks(entry.current.blob):
                    member.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
        for flow_id, source in flows:
            archive.writestr(f"{FLOWS_DIRECTORY}/{flow_id}.yml", source)
    yield from sink.drain()


class _Sink(io.RawIOBase):
    """Where zipfile writes; unseekable, so it streams (data descriptors after each entry)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> list[bytes]:
        chunks, self._chunks = self._chunks, []
        return chunks


@dataclass
class _Plan:
    directories: list[str] = field(default_factory=list)
    files: list[tuple[str, zipfile.ZipInfo]] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)


def namespace_files_extract(*, namespace: str, archive: File, saved_by: Saver | None = None) -> None:
    """Unpack an uploaded zip into the namespace (see the module docstring); its flows are saved by `saved_by`."""
    namespace_checked(namespace)
    try:
        with zipfile.ZipFile(archive) as bundle:
            plan = _plan(namespace, bundle)
            stored: list[tuple[str, str, int]] = []
            budget = settings.FLOWHUB_MAX_UPLOAD_BYTES
            try:
                for path, info in plan.files:
                    with bundle.open(info) as member:
                        blob, size = blob_save(namespace=namespace, content=File(_Bounded(member, budget)))
                    stored.append((path, blob, size))
                    budget -= size
            except BaseException:
                blobs_delete(blob for _, blob, _ in stored)
                raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise Invalid("the upload is not a readable zip archive", [ErrorDetail(FIELD, str(exc))]) from None
    recorded([blob for _, blob, _ in stored], lambda: _record(namespace, plan, stored, saved_by))


def _plan(namespace: str, bundle: zipfile.ZipFile) -> _Plan:
    """What the archive holds, every entry checked before anything is stored."""
    infos = bundle.infolist()
    if len(infos) > MAX_ENTRIES:
        raise TooLarge(f"the archive has {len(infos)} entries, more than {MAX_ENTRIES}")
    plan = _Plan()
    for info in infos:
        if info.flag_bits & 0x1:
            raise Invalid(
                "encrypted zip entries are not supported", [ErrorDetail(FIELD, f"{info.filename}: encrypted")]
            )
        head, _, rest = info.filename.partition("/")
        if head == FLOWS_DIRECTORY and info.is_dir():
            continue
        if head == FLOWS_DIRECTORY and "/" not in rest and rest.endswith((".yml", ".yaml")):
            plan.flows.append(_flow_source(namespace, bundle, info))
            continue
        try:
            path = file_path(info.filename, field=FIELD)
        except Invalid as exc:
            problem = "; ".join(error.detail for error in exc.errors)
            raise Invalid(f"invalid zip entry '{info.filename[:100]}'", [ErrorDetail(FIELD, problem)]) from None
        if info.is_dir():
            plan.directories.append(path)
        else:
            plan.files.append((path, info))
    return plan


def _flow_source(namespace: str, bundle: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """The flow of a `_flows/` entry, moved to `namespace`; Invalid, naming the entry, if it is not one."""
    with bundle.open(info) as member:
        raw = member.read(MAX_SOURCE_BYTES + 1)
    try:
        if len(raw) > MAX_SOURCE_BYTES:
            raise EngineError(f"larger than {MAX_SOURCE_BYTES} bytes")
        source = set_top_level(raw.decode("utf-8"), "namespace", namespace)
        parse_source(source)
    except InvalidFlowError as exc:
        errors = [ErrorDetail(FIELD, f"{info.filename}: {error}") for error in exc.errors]
        raise Invalid(f"zip entry '{info.filename}' is not a valid flow", errors) from None
    except (EngineError, UnicodeDecodeError, ValueError) as exc:
        raise Invalid(f"zip entry '{info.filename}' is not a valid flow", [ErrorDetail(FIELD, str(exc))]) from None
    return source


def _record(namespace: str, plan: _Plan, stored: list[tuple[str, str, int]], saved_by: Saver | None) -> None:
    services.namespace_ensure(namespace=namespace)
    for directory in plan.directories:
        directories_ensure(namespace=namespace, paths=[*ancestors(directory), directory], field=FIELD)
    for path, blob, size in stored:
        file_revision_add(namespace=namespace, path=path, blob=blob, size=size)
    for source in plan.flows:
        flow_id = parse_source(source).id
        if Flow.objects.filter(namespace_id=namespace, flow_id=flow_id, deleted=False).exists():
            services.flow_update(namespace=namespace, flow_id=flow_id, source=source, saved_by=saved_by)
        else:
            services.flow_create(source=source, saved_by=saved_by)
    audit_record(action=AuditAction.FILE_IMPORT, namespace=namespace, files=len(stored), flows=len(plan.flows))


class _Bounded(io.RawIOBase):
    """A zip member, read no further than `limit` bytes: the size an entry declares may lie."""

    def __init__(self, member: IO[bytes], limit: int):
        self._member = member
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self._member.read(min(len(buffer), self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            limit = settings.FLOWHUB_MAX_UPLOAD_BYTES
            raise TooLarge(f"the archive unpacks to more than the upload limit of {limit} bytes")
        buffer[: len(data)] = data
        return len(data)
