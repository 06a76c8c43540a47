"""A 1 GiB namespace file through a running flowhub's HTTP API, up and down: throughput and memory.

    python bench/namespace_files.py --url http://127.0.0.1:8093 --pid <web process pid> [--size-mib 1024]
    python bench/namespace_files.py --serve local|s3 [--size-mib 1024]

The upload is one multipart request (part `fileContent`, as kestrapy sends it) whose bytes are
random and made while they are sent; the download is read in 1 MiB chunks. Both sides hash what
they see, and the bench compares the SHA-256 of what went in and what came out. It prints MiB/s
each way and the web process's peak RSS (VmHWM, from /proc/<pid>/status) before, after the upload
and after the download. Prints figures; asserts nothing.

With `--serve`, the bench starts `manage.py serve` itself in a temporary data directory, with the
upload limit raised to fit the file, and for `s3` first a moto S3 server (a process of its own)
with a new bucket, which flowhub then uses through FLOWHUB_STORAGE=s3 and the AWS_* variables.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.processes import base_env, descendants, free_port, kill_all, start, wait_until_healthy

MiB = 1024 * 1024
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_S3_REGION_NAME": "us-east-1"}


class GeneratedUpload:
    """A multipart/form-data body with one file part of `size` random bytes, made as it is read."""

    def __init__(self, size: int):
        self.boundary = uuid.uuid4().hex
        self.size = size
        self.sha256 = hashlib.sha256()
        self._head = (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="fileContent"; filename="file"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._parts = self._produce()
        self._current = memoryview(b"")

    def __len__(self) -> int:
        return len(self._head) + self.size + len(self._tail)

    def _produce(self) -> Iterator[bytes]:
        yield self._head
        left = self.size
        while left:
            block = os.urandom(min(MiB, left))
            self.sha256.update(block)
            left -= len(block)
            yield block
        yield self._tail

    def read(self, amount: int = -1) -> bytes:
        if not self._current:
            self._current = memoryview(next(self._parts, b""))
        if amount < 0:
            amount = len(self._current)
        piece, self._current = self._current[:amount], self._current[amount:]
        return bytes(piece)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def measure(url: str, pid: int, user: str, password: str, size: int, label: str) -> None:
    session = requests.Session()
    session.auth = (user, password)
    files = f"{url}/api/v1/main/namespaces/bench.files/files"
    path = f"/bench/{uuid.uuid4().hex}.bin"
    rss_before = peak_rss_mib(pid)

    body = GeneratedUpload(size)
    started = time.perf_counter()
    multipart = {"Content-Type": f"multipart/form-data; boundary={body.boundary}"}
    response = session.post(files, params={"path": path}, data=body, headers=multipart)
    up_seconds = time.perf_counter() - started
    response.raise_for_status()
    rss_after_upload = peak_rss_mib(pid)

    received = hashlib.sha256()
    count = 0
    started = time.perf_counter()
    with session.get(files, params={"path": path}, headers={"Accept": "application/octet-stream"}, stream=True) as down:
        down.raise_for_status()
        for chunk in down.iter_content(MiB):
            received.update(chunk)
            count += len(chunk)
    down_seconds = time.perf_counter() - started
    rss_after_download = peak_rss_mib(pid)
    session.delete(files, params={"path": path}).raise_for_status()

    print(f"{label}: {size / MiB:.0f} MiB")
    print(f"  upload    {up_seconds:7.1f} s  {size / MiB / up_seconds:7.1f} MiB/s")
    print(f"  download  {down_seconds:7.1f} s  {count / MiB / down_seconds:7.1f} MiB/s  ({count} bytes)")
    print(f"  SHA-256   {'identical' if received.digest() == body.sha256.digest() else 'DIFFERENT'}")
    print(
        f"  peak RSS of the web process: {rss_before:.1f} MiB before, {rss_after_upload:.1f} after the upload, "
        f"{rss_after_download:.1f} after the download: +{rss_after_download - rss_before:.1f} MiB"
    )


@contextlib.contextmanager
def served(storage: str, size: int) -> Iterator[tuple[str, int]]:
    """flowhub (and for s3 a moto server) started for the run; the base URL and the web process's pid."""
    with tempfile.TemporaryDirectory(prefix="flowhub-bench-") as directory:
        data_dir = Path(directory)
        port = free_port()
        env = base_env(
            data_dir,
            PORT=str(port),
            FLOWHUB_ADMIN_USER="admin",
            FLOWHUB_ADMIN_PASSWORD="admin",
            FLOWHUB_MAX_UPLOAD_BYTES=str(size + MiB),
        )
        moto = None
        try:
            if storage == "s3":
                moto_port = str(free_port())
                moto_command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", moto_port]
                moto = start(moto_command, env, data_dir / "moto.log")
                endpoint, bucket = f"http://127.0.0.1:{moto_port}", "flowhub-bench"
                _create_bucket(endpoint, bucket)
                env.update(S3_CREDENTIALS, FLOWHUB_STORAGE="s3", AWS_S3_ENDPOINT_URL=endpoint)
                env["AWS_STORAGE_BUCKET_NAME"] = bucket
            log = data_dir / "serve.log"
            server = start([sys.executable, "manage.py", "serve", "--port", str(port)], env, log)
            try:
                url = f"http://127.0.0.1:{port}"
                wait_until_healthy(url, server, log, timeout=120)
                yield url, _web_pid(server.pid)
            finally:
                kill_all(server)
        finally:
            if moto is not None:
                kill_all(moto)


def _create_bucket(endpoint: str, bucket: str) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_CREDENTIALS["AWS_S3_REGION_NAME"],
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            client.create_bucket(Bucket=bucket)
            return
        except Exception:  # the server is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _web_pid(serve_pid: int) -> int:
    for pid in descendants(serve_pid):
        with contextlib.suppress(OSError):
            if b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
    raise RuntimeError("no uvicorn process under manage.py serve")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--pid", type=int, help="the web (uvicorn) process of the server at --url")
    parser.add_argument("--serve", choices=["local", "s3"], help="start flowhub (and moto for s3) for the run")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mib * MiB
    if args.serve:
        with served(args.serve, size) as (url, pid):
            measure(url, pid, args.user, args.password, size, f"{args.serve} storage, started by the bench")
    elif args.pid:
        measure(args.url, args.pid, args.user, args.password, size, args.url)
    else:
        parser.error("give --pid (with --url), or --serve")


if __name__ == "__main__":
    main()
