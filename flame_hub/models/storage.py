"""Resources of the storage service (``/storage/``): buckets and the files uploaded into them."""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import os
import pathlib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from typing import IO, Any, BinaryIO, Union

import httpx2

from flame_hub import errors
from flame_hub._progress import ProgressReader, _NullBar, progress_bar
from flame_hub.models._base import Model, Relation, Reverse, _unwrap

__all__ = ["Bucket", "BucketFile", "UploadSource"]

# One item to upload: a local path, or ``(name, data)`` / ``(name, data, content_type)`` where
# data is bytes, a binary file object or an ``os.PathLike`` such as ``pathlib.Path``.
UploadSource = Union[str, os.PathLike, tuple[str, Any], tuple[str, Any, str]]  # noqa: UP007

_CHUNK_SIZE = 64 * 1024


class Bucket(Model):
    """A storage bucket; upload files with ``upload()``, read them all as a tar stream with ``tarball()``."""

    class Meta:
        service = "storage"
        path = "buckets"
        singular = "bucket"
        plural = "buckets"
        # The update route has no writable fields, so it is not offered.
        operations = ("list", "get", "create", "delete")
        create_only = ("name", "region", "realm_id")
        required = ("name",)
        text_ids = ("actor_id",)
        filters = ("id", "name", "realm_id", "actor_type", "actor_id")
        sorts = ("id", "updated_at", "created_at")
        limits = {"name": (3, 256), "region": (3, 256)}

    name: str | None = None
    region: str | None = None
    realm_id: str | None = None
    actor_id: str | None = None
    actor_type: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    realm = Relation("realm_id", "Realm", service="auth")
    files = Reverse("BucketFile", "bucket_id")

    def upload(
        self,
        *sources: UploadSource | Mapping[str, Any],
        content_type: str | None = None,
        progress: bool | None = None,
    ) -> list[BucketFile]:
        """Upload files in one multipart request (POST ``buckets/{id}/upload``) and return the new bucket files.

        Each source is a local path (stored under its base name), a ``(name, data)`` or
        ``(name, data, content_type)`` tuple, or a mapping of names to data. Data is bytes, a
        binary file object (streamed) or a ``pathlib.Path``; a ``str`` as data raises
        ``TypeError``, because it could be text or a path. The name may contain ``/`` to place
        the file in a directory. ``content_type`` applies to parts without their own; otherwise
        it is guessed from the name. The Hub answers a file whose path the bucket already holds
        with a bare 500, so the ``ServerError`` names the paths: delete the old file first.
        ``progress`` draws a bar of the bytes sent (``None``: only in a terminal or notebook).
        """
        record_id = self._require_id("upload()")
        session = self._bind_session(None)

        with ExitStack() as stack:
            parts = [("file", part) for part in _upload_parts(sources, content_type, stack)]
            if not parts:
                raise ValueError("upload() needs at least one file.")
            bar = stack.enter_context(
                progress_bar(
                    _upload_size(parts),
                    description=f"Uploading to {self.name or record_id}",
                    unit="B",
                    progress=progress,
                )
            )
            if not isinstance(bar, _NullBar):
                parts = [(field, _counted_part(part, bar)) for field, part in parts]
            try:
                body = session.request_json("storage", "POST", f"buckets/{record_id}/upload", files=parts)
            except errors.ServerError as exc:
                if exc.status_code != 500:
                    raise
                raise _explain_upload_failure(exc, self, [name for _, (name, _, _) in parts]) from None

        rows = _unwrap(body) or []
        return [BucketFile._from_hub(row, session) for row in rows]

    def tarball(self) -> Iterator[bytes]:
        """Yield the bucket's files as one tar archive, in chunks (GET ``buckets/{id}/stream``)."""
        record_id = self._require_id("tarball()")
        session = self._bind_session(None)
        yield from _stream(session, f"buckets/{record_id}/stream")

    def download_tarball(self, destination: str | os.PathLike[str] | IO[bytes], *, progress: bool | None = None) -> int:
        """Write the tar archive of the bucket to a path or binary file; return the number of bytes written.

        ``progress`` draws a bar of the bytes received (``None``: only in a terminal or notebook).
        """
        with progress_bar(
            None, description=f"Downloading {self.name or self.id}.tar", unit="B", progress=progress
        ) as bar:
            return _write_chunks(self.tarball(), destination, bar)


class BucketFile(Model):
    """A file in a bucket (created by ``Bucket.upload()``); read its content with ``stream()`` or ``download()``."""

    class Meta:
        service = "storage"
        path = "bucket-files"
        singular = "bucket_file"
        plural = "bucket_files"
        operations = ("list", "get", "delete")
        text_ids = ("actor_id",)
        filters = ("id", "name", "directory", "realm_id", "actor_type", "actor_id", "bucket_id")
        sorts = ("id", "directory", "name", "updated_at", "created_at")
        includes = ("bucket",)
        repr_fields = ("id", "path", "size", "bucket_id")

    name: str | None = None
    path: str | None = None
    directory: str | None = None
    # A random storage key, not a hash of the content.
    hash: str | None = None
    size: int | None = None
    actor_id: str | None = None
    actor_type: str | None = None
    realm_id: str | None = None
    bucket_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    bucket = Relation("bucket_id", "Bucket")

    def stream(self) -> Iterator[bytes]:
        """Yield the file's content in chunks (GET ``bucket-files/{id}/stream``), gzip transfer encoding decoded."""
        record_id = self._require_id("stream()")
        session = self._bind_session(None)
        yield from _stream(session, f"bucket-files/{record_id}/stream")

    def read(self) -> bytes:
        """Return the file's whole content."""
        return b"".join(self.stream())

    def download(self, destination: str | os.PathLike[str] | IO[bytes], *, progress: bool | None = None) -> int:
        """Write the file's content to a path or binary file; return the number of bytes written.

        A path that is an existing directory receives the file under its ``name``. ``"-"`` raises
        ``ValueError``: unlike the command line's ``-o -``, it does not mean standard output.
        ``progress`` draws a bar of the bytes received (``None``: only in a terminal or notebook).
        """
        if isinstance(destination, str) and destination == "-":
            raise ValueError(
                "download('-') would write a file named '-': pass sys.stdout.buffer to write to standard output, "
                "or './-' for a file of that name."
            )
        if isinstance(destination, (str, os.PathLike)) and os.path.isdir(destination):
            destination = os.path.join(os.fspath(destination), self.name or str(self.id))
        with progress_bar(
            self.size, description=f"Downloading {self.name or self.id}", unit="B", progress=progress
        ) as bar:
            return _write_chunks(self.stream(), destination, bar)


def _upload_parts(
    sources: tuple[Any, ...], default_type: str | None, stack: ExitStack
) -> Iterator[tuple[str, Any, str]]:
    for source in sources:
        if isinstance(source, Mapping):
            for name, data in source.items():
                yield _upload_part(name, data, None, default_type, stack)
        elif isinstance(source, tuple):
            if len(source) not in (2, 3):
                raise TypeError(
                    f"An upload tuple is (name, data) or (name, data, content_type), got {len(source)} items."
                )
            own_type = source[2] if len(source) == 3 else None
            yield _upload_part(source[0], source[1], own_type, default_type, stack)
        elif isinstance(source, (str, os.PathLike)):
            # A bare argument is always a local path, so a str is taken as one here.
            path = pathlib.Path(source)
            yield _upload_part(path.name, path, None, default_type, stack)
        else:
            raise TypeError(
                f"Cannot upload a {type(source).__name__}; pass a path, (name, data), (name, data, type) or a dict."
            )


def _upload_part(
    name: str, data: Any, own_type: str | None, default_type: str | None, stack: ExitStack
) -> tuple[str, Any, str]:
    if not isinstance(name, str) or not name:
        raise ValueError(f"An uploaded file needs a non-empty name, got {name!r}.")

    content: bytes | BinaryIO
    if isinstance(data, (bytes, bytearray, memoryview)):
        content = bytes(data)
    elif isinstance(data, str):
        # A str could be meant as text or as a local path; guessing wrong would upload a local file.
        raise TypeError(
            f"Upload data for {name!r} is a str: pass bytes ({name!r}, text.encode()) for text, "
            f"or ({name!r}, pathlib.Path(path)) to upload a local file."
        )
    elif isinstance(data, os.PathLike):
        content = stack.enter_context(open(data, "rb"))
    elif hasattr(data, "read"):
        content = data
    else:
        raise TypeError(
            f"Upload data for {name!r} must be bytes, a binary file or a pathlib.Path, got {type(data).__name__}."
        )

    content_type = own_type or default_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return (name, content, content_type)


def _explain_upload_failure(exc: errors.ServerError, bucket: Bucket, names: list[str]) -> errors.ServerError:
    """Return ``exc`` with advice for the Hub's bare 500 to an upload of a path that the bucket holds already."""
    # NOTE: the Hub's 500 does not say why; the bucket is not queried here, so the advice names
    # the likely cause rather than a confirmed one.
    hint = (
        f"The upload of {', '.join(repr(name) for name in names)[:300]} to bucket {bucket.id} "
        "failed. The Hub answers this way when the bucket already holds a file at one of these paths: "
        f"delete the old file first, for example bucket.files.get({_file_lookup(names[0])}).delete(), "
        "then upload again."
    )
    return type(exc)(
        exc.message,
        hint=hint,
        status_code=exc.status_code,
        code=exc.code,
        issues=exc.issues,
        request=exc.request,
        response=exc.response,
        error=exc.error,
    )


def _file_lookup(path: str) -> str:
    """Return the lookup arguments that find the bucket file at ``path``: ``name='a.csv', directory='.'``."""
    directory, _, name = path.rpartition("/")
    return f"name={name!r}, directory={directory or '.'!r}"


def _stream(session: Any, path: str) -> Iterator[bytes]:
    response = session.request("storage", "GET", path, stream=True)
    try:
        yield from response.iter_bytes(_CHUNK_SIZE)
    except httpx2.TransportError as exc:
        # The status line arrived, so the transport's retries are over; a drop while reading the
        # body surfaces here. Chunks already yielded cannot be taken back, so this is not retried.
        url = str(response.request.url)
        raise errors.TransportError(
            f"The connection broke while reading GET {url} ({exc}); start the download again.",
            url=url,
            method="GET",
            request=response.request,
            reason=str(exc),
        ) from exc
    finally:
        response.close()


def _write_chunks(chunks: Iterator[bytes], destination: str | os.PathLike[str] | IO[bytes], bar: Any) -> int:
    written = 0
    if isinstance(destination, (str, os.PathLike)):
        with open(destination, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
                bar.update(len(chunk))
        return written

    for chunk in chunks:
        destination.write(chunk)
        written += len(chunk)
        bar.update(len(chunk))
    return written


def _upload_size(parts: list[tuple[str, tuple[str, Any, str]]]) -> int | None:
    """Return the total bytes of the upload parts, or ``None`` when a file object's size is unknown."""
    total = 0
    for _, (_, content, _) in parts:
        if isinstance(content, bytes):
            total += len(content)
            continue
        try:
            if not content.seekable():
                return None
            position = content.tell()
            total += content.seek(0, os.SEEK_END) - position
            content.seek(position)
        except (AttributeError, OSError, ValueError):
            return None
    return total


def _counted_part(part: tuple[str, Any, str], bar: Any) -> tuple[str, Any, str]:
    """Return ``part`` with its content read through ``bar``, so the bar advances as the body is sent."""
    name, content, content_type = part
    if isinstance(content, bytes):
        content = io.BytesIO(content)
    return (name, ProgressReader(content, bar), content_type)
