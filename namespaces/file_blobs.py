"""The bytes of namespace files in the default storage (local disk, or S3 via django-storages).

Each revision of a file is one object, `<namespace as path>/_files/<32 hex>`, written once and
never overwritten; the database maps paths to objects (models.NamespaceFileRevision). So a write
is atomic (the object first, then its row in a transaction), a move is a database update, two
writers can never hit each other's object, and no user path becomes a storage key: the 1,024-byte
paths that Kestra allows would not fit S3's 1,024-byte keys nor a local disk's 255-byte names.
Reads and writes stream in chunks; no file is ever held whole in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from storages.backends.s3 import S3File

CHUNK_BYTES = 1024 * 1024


def blob_save(*, namespace: str, content: File) -> tuple[str, int]:
    """Store `content` (read in chunks) as a new object of `namespace`; its storage name and size.

    If reading or writing fails part way, the part written is deleted.
    """
    name = f"{namespace.replace('.', '/')}/_files/{uuid.uuid4().hex}"
    try:
        stored = default_storage.save(name, content)
    except BaseException:
        default_storage.delete(name)
        raise
    assert stored == name, f"the storage renamed a new object: {name} -> {stored}"
    return stored, default_storage.size(stored)


def blob_open(name: str) -> IO[bytes]:
    """The object's bytes as a binary stream; close it after use.

    django-storages' S3File would download the whole object before the first read (into memory,
    with its default settings); the body of the S3 GET response streams instead.
    """
    stored = default_storage.open(name, "rb")
    if isinstance(stored, S3File):
        body: IO[bytes] = stored.obj.get()["Body"]
        return body
    return stored


def blob_chunks(name: str) -> Iterator[bytes]:
    with blob_open(name) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk


def blobs_delete(names: Iterable[str]) -> None:
    for name in names:
        default_storage.delete(name)
