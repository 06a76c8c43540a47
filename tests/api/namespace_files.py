"""Helpers of the namespace-file tests, whatever the storage behind them."""

import io
import zipfile
from urllib.parse import urlencode

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from namespaces.models import NamespaceFile


def url(base: str, **params: object) -> str:
    return f"{base}?{urlencode(params)}" if params else base


def upload(api, base: str, path: str, data: bytes, filename: str = "file"):
    """As kestrapy sends it: a part `fileContent` with the filename `file`."""
    return api.post(url(base, path=path), {"fileContent": SimpleUploadedFile(filename, data)}, format="multipart")


def content(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def stored_objects(prefix: str = "") -> list[str]:
    """Every object of the default storage under `prefix`."""
    directories, files = default_storage.listdir(prefix)
    below = [name for directory in directories for name in stored_objects(f"{prefix}{directory}/")]
    return sorted([f"{prefix}{name}" for name in files] + below)


def nothing_stored() -> bool:
    return stored_objects() == [] and not NamespaceFile.objects.exists()


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()
