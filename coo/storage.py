"""Stored files: processed seals and signatures, staged scans, layout PDFs, signed originals,
exports. One interface, two backends chosen by configuration (`STORAGE_BACKEND`):

- ``local``: a folder (`STORAGE_PATH`). One host only: the embedded default (`make run`).
- ``s3``: an S3-compatible object store (AWS S3, MinIO, Ceph, ...) through boto3: every web
  and worker host sees the same files.

Files are named by *keys* (``layouts/ab/abcdef….pdf``), never by paths; the database stores
the key. Most files are content-addressed (`put`): a key names the SHA-256 of the bytes, so a
file is written once and never changes. Exports, large, are written from a file (`put_file`)
and read back as a stream (`open`, `send`), never whole into memory.
"""
import builtins
import datetime
import hashlib
import mimetypes
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from flask import current_app, request, send_file

CHUNK = 256 * 1024
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")


class NotFound(FileNotFoundError):
    """No file under this key."""


@dataclass(frozen=True)
class Entry:
    """One stored file as a listing sees it."""
    key: str
    size: int
    modified: datetime.datetime        # aware, UTC


class Stored:
    """A stored file opened for reading: a binary file object (read/close, a context manager)
    that knows its size and age. Not seekable on S3: read it front to back."""

    def __init__(self, raw, size: int, modified: datetime.datetime, etag: str):
        self._raw, self.size, self.modified, self.etag = raw, size, modified, etag

    def read(self, n: int = -1) -> bytes:
        return self._raw.read() if n is None or n < 0 else self._raw.read(n)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return getattr(self._raw, "seekable", lambda: False)()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self):
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        while chunk := self.read(CHUNK):
            yield chunk


def check_key(key: str) -> str:
    """A key is relative, with plain segments: nothing can name a file outside the storage."""
    if not isinstance(key, str) or len(key) > 512 or not _KEY.fullmatch(key) or ".." in key.split("/"):
        raise ValueError(f"not a storage key: {key!r:.80}")
    return key


def content_key(data: bytes, kind: str, suffix: str) -> tuple[str, str]:
    """`kind/ab/abcdef....suffix` for these bytes, and their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    return check_key(f"{kind}/{digest[:2]}/{digest}{suffix}"), digest


# --- The local folder -------------------------------------------------------------------------

class LocalStorage:
    """Files under one folder. Writes go to a temporary file renamed into place: a reader never
    sees half a file, and two writers of one key end with the same bytes."""

    name = "local"

    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, key: str, fill):
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def put(self, key: str, data: bytes, refresh: bool = False):
        target = self._path(key)
        if refresh and target.is_file():
            os.utime(target)           # same bytes: only its age starts over
            return
        self._write(key, lambda fh: fh.write(data))

    def put_file(self, key: str, fileobj: BinaryIO):
        self._write(key, lambda fh: shutil.copyfileobj(fileobj, fh, CHUNK))

    def open(self, key: str) -> Stored:
        path = self._path(key)
        try:
            fh = builtins.open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(key) from None
        stat = os.fstat(fh.fileno())
        modified = datetime.datetime.fromtimestamp(stat.st_mtime, datetime.timezone.utc)
        stored = Stored(fh, stat.st_size, modified, f"{int(stat.st_mtime)}-{stat.st_size}")
        stored.fileno = fh.fileno          # lets gunicorn use sendfile(2)
        return stored

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str):
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str) -> Iterator[Entry]:
        """Files whose key starts with `prefix` (temporary files of unfinished writes excepted)."""
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return
        root = self.root
        for dirpath, _, files in os.walk(base):
            for name in files:
                if name.startswith(".tmp-"):
                    continue
                full = Path(dirpath) / name
                key = full.relative_to(root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    stat = full.stat()
                except FileNotFoundError:
                    continue
                yield Entry(key, stat.st_size,
                            datetime.datetime.fromtimestamp(stat.st_mtime, datetime.timezone.utc))

    def local_path(self, key: str) -> Path:
        """For tests and tools of a one-host setup only; the app never uses paths."""
        return self._path(key)


# --- An S3-compatible object store ------------------------------------------------------------

class S3Storage:
    """Objects in one bucket (under an optional key prefix), through boto3. Credentials come
    from the settings, else from boto3's usual chain (AWS_* variables, instance role)."""

    name = "s3"

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None, addressing_style: str | None = None):
        import boto3
        from botocore.config import Config as BotoConfig
        if not bucket:
            raise RuntimeError("COO_STORAGE=s3 needs COO_S3_BUCKET")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        style = addressing_style or ("path" if endpoint_url else "auto")
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
            config=BotoConfig(s3={"addressing_style": style}, connect_timeout=5, read_timeout=60,
                              retries={"max_attempts": 5, "mode": "standard"}))

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _missing(error) -> bool:
        return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")

    def put(self, key: str, data: bytes, refresh: bool = False):
        # Objects are immutable: writing the same bytes again is how its age starts over.
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                               ContentType=mimetypes.guess_type(key)[0] or "application/octet-stream")

    def put_file(self, key: str, fileobj: BinaryIO):
        # Multipart above 8 MiB: the file is sent in parts, never held whole.
        self.client.upload_fileobj(fileobj, self.bucket, self._key(key), ExtraArgs={
            "ContentType": mimetypes.guess_type(key)[0] or "application/octet-stream"})

    def open(self, key: str) -> Stored:
        from botocore.exceptions import ClientError
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if self._missing(error):
                raise NotFound(key) from None
            raise
        return Stored(obj["Body"], obj["ContentLength"], obj["LastModified"], obj.get("ETag", "").strip('"'))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if self._missing(error):
                return False
            raise
        return True

    def delete(self, key: str):
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list(self, prefix: str) -> Iterator[Entry]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in pages:
            for obj in page.get("Contents", ()):
                yield Entry(obj["Key"][len(self.prefix):], obj["Size"], obj["LastModified"])


# --- The backend of the app -------------------------------------------------------------------

def _settings(config) -> tuple:
    if config.get("STORAGE_BACKEND", "local") == "s3":
        return ("s3", config.get("S3_BUCKET"), config.get("S3_PREFIX", ""), config.get("S3_ENDPOINT_URL"),
                config.get("S3_REGION"), config.get("S3_ACCESS_KEY_ID"), config.get("S3_SECRET_ACCESS_KEY"),
                config.get("S3_ADDRESSING_STYLE"))
    return ("local", config["STORAGE_PATH"])


def make(config):
    settings = _settings(config)
    if settings[0] == "s3":
        return S3Storage(*settings[1:])
    if settings[0] == "local":
        return LocalStorage(settings[1])
    raise RuntimeError(f"COO_STORAGE must be local or s3, not {settings[0]!r}")


def backend():
    """The app's storage, made once per process and settings (a forked RQ work horse makes its
    own S3 client: connections are not shared across a fork)."""
    app = current_app._get_current_object()
    key = (os.getpid(), _settings(app.config))
    cache = app.extensions.setdefault("coo_storage", {})
    if key not in cache:
        cache.clear()
        cache[key] = make(app.config)
    return cache[key]


def check_settings(config):
    """Raise RuntimeError naming a wrong storage setting (at app start, not at the first file)."""
    name = config.get("STORAGE_BACKEND", "local")
    if name not in ("local", "s3"):
        raise RuntimeError(f"COO_STORAGE must be local or s3, not {name!r}")
    if name == "s3" and not config.get("S3_BUCKET"):
        raise RuntimeError("COO_STORAGE=s3 needs COO_S3_BUCKET")


def describe(store) -> str:
    if isinstance(store, S3Storage):
        endpoint = store.client.meta.endpoint_url
        return f"s3 bucket {store.bucket!r}{f' prefix {store.prefix!r}' if store.prefix else ''} at {endpoint}"
    return f"local folder {str(store.root)!r}"


def self_check() -> str:
    """Write, list, read and delete a probe file: what every host needs from the storage.
    Returns what was checked; raises on the first failure (for `flask coo storage-check`)."""
    import socket
    import uuid
    store = backend()
    key = check_key(f"probes/{socket.gethostname()[:60] or 'host'}-{uuid.uuid4().hex}.txt")
    data = b"coo storage probe " + key.encode()
    store.put(key, data)
    try:
        if not store.exists(key) or key not in {entry.key for entry in store.list("probes/")}:
            raise RuntimeError(f"{key} was written but is not listed")
        with store.open(key) as stored:
            if stored.read() != data:
                raise RuntimeError(f"{key} came back with other bytes")
    finally:
        store.delete(key)
    if store.exists(key):
        raise RuntimeError(f"{key} is still there after delete")
    return describe(store)


# --- What the app calls -----------------------------------------------------------------------

def put(data: bytes, kind: str, suffix: str) -> tuple[str, str]:
    """Store bytes content-addressed under `kind/`; returns (key, sha256). Storing the same bytes
    again starts their age over, so the sweep of unsaved scans spares them."""
    key, digest = content_key(data, kind, suffix)
    backend().put(key, data, refresh=True)
    return key, digest


def put_file(key: str, fileobj: BinaryIO) -> str:
    """Store a (large) file under a chosen key, streamed from `fileobj`."""
    backend().put_file(key, fileobj)
    return key


def read(key: str) -> bytes:
    """The whole file (small files: seals, layouts). Raises NotFound."""
    with backend().open(key) as stored:
        return stored.read()


def open(key: str) -> Stored:  # noqa: A001 - the storage's own open
    """The file as a stream. Raises NotFound."""
    return backend().open(key)


def exists(key: str) -> bool:
    return bool(key) and backend().exists(key)


def delete(key: str):
    """Remove a file; removing one that is not there is not an error."""
    backend().delete(key)


def list(prefix: str) -> Iterator[Entry]:  # noqa: A001
    return backend().list(prefix)


def send(key: str, mimetype: str, download_name: str | None = None, as_attachment: bool = False,
         max_age: int | None = None, etag: bool = False):
    """A response that streams the stored file to the client (never read whole), with
    Content-Length and range support; `etag` adds ETag and Last-Modified like a file sent from
    disk. Raises NotFound."""
    stored = open(key)
    response = send_file(stored, mimetype=mimetype, download_name=download_name,
                         as_attachment=as_attachment, max_age=max_age, conditional=False, etag=False)
    response.content_length = stored.size
    if etag:
        response.set_etag(stored.etag or hashlib.sha256(key.encode()).hexdigest()[:32])
        response.last_modified = stored.modified
    return response.make_conditional(request.environ, accept_ranges=True, complete_length=stored.size)
