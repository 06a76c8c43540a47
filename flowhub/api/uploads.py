"""Uploaded files have a size limit too, enforced while they stream in (DESIGN.md §5 rule 5).

Django bounds form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) and the number of files, but streams
each file part to a temporary file without bound; this handler stops one past the limit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class UploadTooLarge(RequestDataTooBig):
    """One uploaded file past FLOWHUB_MAX_UPLOAD_BYTES (Django's own RequestDataTooBig is the rest of the body)."""


class BoundedUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        limit = settings.FLOWHUB_MAX_UPLOAD_BYTES
        if start + len(raw_data) > limit:
            raise UploadTooLarge(f"an uploaded file is larger than the limit of {limit} bytes")
        return super().receive_data_chunk(raw_data, start)
