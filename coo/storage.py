"""Files under STORAGE_PATH, content-addressed: processed seals, original uploads, layout PDFs,
exports. A file is named by the SHA-256 of its bytes, so it is written once and never changes;
the database stores the relative path."""
import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app


def root() -> Path:
    path = Path(current_app.config["STORAGE_PATH"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path(relative: str) -> Path:
    """The absolute path of a stored file; refuses anything that would leave the storage."""
    base = root().resolve()
    full = (base / relative).resolve()
    if base not in full.parents:
        raise ValueError(f"not a storage path: {relative}")
    return full


def put(data: bytes, kind: str, suffix: str) -> tuple[str, str]:
    """Store bytes under `kind/ab/abcdef....suffix`; returns (relative path, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{kind}/{digest[:2]}/{digest}{suffix}"
    target = root() / relative
    if target.exists():
        # Stored again: its age starts over, so a sweep of old unused files spares it.
        os.utime(target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, two writers end with the same bytes.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return relative, digest


def read(relative: str) -> bytes:
    return path(relative).read_bytes()
