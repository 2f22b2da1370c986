"""The files attached to a task: stored under ``WS/attachments/<task_id>/`` only once the
type, size and first bytes pass the policy's limits and the task records them.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid
from pathlib import Path
from typing import BinaryIO

import duckdb

from loanwatch.policy import Policy
from loanwatch.security.permissions import Principal
from loanwatch.services.queues.slice import _visible, slice_of
from loanwatch.services.store import Store
from loanwatch.services.work import Done, act, attachment_limits
from loanwatch.workflow import tasks as wt
from loanwatch.workflow.errors import AttachmentRejected

#: where a task's files are kept, under the workspace: ``WS/attachments/<task_id>/<name>``
ATTACHMENTS = "attachments"


# the first bytes of the file types a bank allows by default: a file must be what it says
_SIGNATURES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n",
               "image/jpeg": b"\xff\xd8\xff"}
_CHUNK = 1024 * 1024


def _safe_name(name: str) -> str:
    """The file's own name, without any folder a browser sent; refused if unusable."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or base.startswith(".") or len(base) > 200 or any(ord(c) < 32 for c in base):
        raise AttachmentRejected(f"{name!r} is not a usable file name")
    return base


def _copy(stream: BinaryIO, to: Path, max_bytes: int, name: str) -> int:
    """Copy at most ``max_bytes`` (and one more, to know it is too large)."""
    size = 0
    with to.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise AttachmentRejected(f"{name} is larger than the limit of "
                                         f"{max_bytes / 1024 / 1024:.1f} MB")
            out.write(chunk)
    return size


def _check_signature(path: Path, name: str, content_type: str) -> None:
    wanted = _SIGNATURES.get(content_type)
    with path.open("rb") as f:
        head = f.read(16)
    if wanted is not None and not head.startswith(wanted):
        raise AttachmentRejected(f"{name} does not look like a {content_type} file")


def attach_file(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, policy: Policy,
                root: Path, task_id: str, *, version: int, name: str, stream: BinaryIO,
                at: dt.datetime) -> Done:
    """Store an uploaded file under ``WS/attachments/<task>/`` and record it on the task. The
    type goes by the file name and must match the file's first bytes; a file refused by the
    policy's limits, or a task that changed meanwhile, leaves nothing stored."""
    _visible(store, slice_of(con, who), "task", task_id)
    name = _safe_name(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    limits = attachment_limits(policy)
    if content_type not in limits.content_types:  # refused before a byte is written
        wt.check_attachment(name, 1, content_type, limits)
    folder = root / ATTACHMENTS / task_id
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{uuid.uuid4().hex}.part"
    try:
        size = _copy(stream, part, limits.max_bytes, name)
        wt.check_attachment(name, size, content_type, limits)
        _check_signature(part, name, content_type)
        done = act(store, "task", task_id, wt.AttachFile(
            by=who.user_id, at=at, expected_version=version, name=name, size=size,
            content_type=content_type), policy)
        part.replace(folder / name)
    except BaseException:
        part.unlink(missing_ok=True)
        if not any(folder.iterdir()):
            folder.rmdir()
        raise
    return done


def attachment_path(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, root: Path,
                    task_id: str, name: str) -> tuple[Path, wt.Attachment]:
    """The stored file of a task's attachment and its record; ``LookupError`` when the task is
    not in the slice or has no such file."""
    task: wt.Task = _visible(store, slice_of(con, who), "task", task_id)
    found = next((a for a in task.attachments if a.name == name), None)
    path = root / ATTACHMENTS / task_id / name
    if found is None or not path.is_file():
        raise LookupError(f"task {task_id} has no attachment {name}")
    return path, found
