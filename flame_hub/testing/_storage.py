"""The fake Hub's storage service: buckets, bucket files, multipart upload and file and tar streams."""

from __future__ import annotations

import functools
import json
import logging
import mimetypes
import posixpath
import re
import secrets
import tarfile
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from ._errors import FakeHubError, hub_error_response, js_type
from ._query import RECORD_PARAMETERS, Query, ResourceSchema, decode_query, list_body, project, record_body
from ._state import HubState, Identity, new_id, now_iso

logger = logging.getLogger(__name__)

# Version the storage service reports at its root, the one the contract corpus was recorded with.
HUB_VERSION = "0.14.0"

BUCKETS = "storage.buckets"
BUCKET_FILES = "storage.bucket_files"

BUCKET_SCHEMA = ResourceSchema(
    name="bucket",
    fields_default=("id", "name", "region", "createdAt", "updatedAt", "realmId", "actorId", "actorType"),
    filters=("id", "name", "realmId", "actorType", "actorId"),
    sorts=("id", "updatedAt", "createdAt"),
)
BUCKET_FILE_SCHEMA = ResourceSchema(
    name="bucketFile",
    fields_default=(
        "id",
        "name",
        "path",
        "directory",
        "size",
        "hash",
        "createdAt",
        "updatedAt",
        "realmId",
        "actorType",
        "actorId",
        "bucketId",
    ),
    filters=("id", "name", "directory", "realmId", "actorType", "actorId", "bucketId"),
    sorts=("id", "directory", "name", "updatedAt", "createdAt"),
    relations={"bucket": "bucket"},
)
SCHEMAS: dict[str, ResourceSchema] = {"bucket": BUCKET_SCHEMA, "bucketFile": BUCKET_FILE_SCHEMA}

# Bucket name and region lengths the Hub's validator enforces.
MIN_TEXT_LENGTH = 3
MAX_TEXT_LENGTH = 256

# Size of the pieces in which file and tar streams are sent, so large files are never copied whole.
CHUNK_SIZE = 64 * 1024
TAR_BLOCK = tarfile.BLOCKSIZE

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Characters a content-disposition filename may contain without quoting.
_PLAIN_FILENAME = re.compile(r"^[A-Za-z0-9._-]+$")

Handler = Callable[[Request, HubState, Identity], Awaitable[Response]]


def seed_storage(state: HubState) -> None:
    """Insert the initial records of the storage service: its two tables, empty."""
    state.table(BUCKETS)
    state.table(BUCKET_FILES)


# -- plumbing -------------------------------------------------------------------------------------


def endpoint(state: HubState, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a storage handler: authenticate, turn ``FakeHubError`` into the Hub's error body, log other errors."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        try:
            identity = state.hub_identity(request)
            return await handler(request, state, identity)
        except FakeHubError as error:
            logger.debug(
                "Fake Hub storage %s %s returned %d %s: %s",
                request.method,
                request.url.path,
                error.status,
                error.code,
                error.message,
            )
            return hub_error_response(error)
        except Exception as error:
            logger.exception("Fake Hub storage handler failed on %s %s", request.method, request.url.path)
            return hub_error_response(FakeHubError(500, "internal_error", f"Internal error: {error}"))

    return run


def check_uuid(value: str) -> None:
    """Raise the Hub's 500 for an id that is not a UUID, which its database rejects."""
    if not _UUID.match(value):
        raise FakeHubError(500, "internal_error", f'invalid input syntax for type uuid: "{value}"')


def find_bucket(state: HubState, bucket_id: str) -> dict[str, Any]:
    check_uuid(bucket_id)
    bucket = state.table(BUCKETS).get(bucket_id)
    if bucket is None:
        raise FakeHubError(404, "entity_not_found", "The bucket was not found.")
    return bucket


def find_bucket_file(state: HubState, file_id: str) -> dict[str, Any]:
    check_uuid(file_id)
    record = state.table(BUCKET_FILES).get(file_id)
    if record is None:
        raise FakeHubError(404, "entity_not_found", "The bucket-file was not found.")
    return record


def default_view(schema: ResourceSchema, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``record`` with the schema's default fields, as mutation responses show it."""
    return project(record, Query(), schema, SCHEMAS, None)


def mutation_response(data: Any, status: int) -> JSONResponse:
    return JSONResponse({"data": data, "meta": {}}, status_code=status)


def is_creator(identity: Identity, record: Mapping[str, Any]) -> bool:
    return record.get("actorId") == identity.id and record.get("actorType") == identity.kind


async def read_json(request: Request) -> Any:
    """Return the parsed JSON body, ``{}`` when empty. Malformed JSON is a 500, as on the Hub."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as error:
        raise FakeHubError(500, "internal_error", f"The request body is not valid JSON: {error}") from None


def load_relation(schema: ResourceSchema, relation: str, record: Mapping[str, Any], state: HubState) -> Any:
    if schema is BUCKET_FILE_SCHEMA and relation == "bucket":
        return state.table(BUCKETS).get(record.get("bucketId") or "")
    return None


# -- validation -----------------------------------------------------------------------------------


def text_issue(body: Mapping[str, Any], key: str, *, optional: bool) -> dict[str, Any] | None:
    """Return the validation issue of a string attribute of 3 to 256 characters, or ``None`` when valid."""
    if key not in body:
        if optional:
            return None
        return {
            "type": "item",
            "path": [key],
            "message": "Invalid input: expected string, received undefined",
            "code": "required",
            "expected": "string",
        }

    value = body[key]
    issue: dict[str, Any]
    if value is None and optional:
        return None
    if not isinstance(value, str):
        issue = {
            "type": "item",
            "path": [key],
            "message": f"Invalid input: expected string, received {js_type(value)}",
            "code": "value_invalid",
            "expected": "string",
        }
    elif len(value) < MIN_TEXT_LENGTH:
        issue = {
            "type": "item",
            "path": [key],
            "message": f"Too small: expected string to have >={MIN_TEXT_LENGTH} characters",
            "code": "min_length",
            "data": {"min": MIN_TEXT_LENGTH},
        }
    elif len(value) > MAX_TEXT_LENGTH:
        issue = {
            "type": "item",
            "path": [key],
            "message": f"Too big: expected string to have <={MAX_TEXT_LENGTH} characters",
            "code": "max_length",
            "data": {"max": MAX_TEXT_LENGTH},
        }
    else:
        return None
    if optional:
        issue["meta"] = {"optional": True}
    return issue


def raise_issues(issues: list[dict[str, Any]]) -> None:
    """Raise the Hub's 400 for invalid properties, worded for one or several of them."""
    if not issues:
        return
    names = [str(issue["path"][0]) for issue in issues]
    if len(names) == 1:
        message = f"Property {names[0]} is invalid"
    else:
        message = f"Properties {', '.join(names)} are invalid."
    raise FakeHubError(400, "bad_request", message, issues)


def validate_bucket_create(body: Any) -> dict[str, Any]:
    """Return the accepted attributes of a bucket create body. Unknown keys are dropped, as the Hub does."""
    if not isinstance(body, dict):
        body = {}
    issues = [issue for issue in (text_issue(body, "name", optional=False), text_issue(body, "region", optional=True))]
    realm_id = body.get("realmId")
    if realm_id is not None and not isinstance(realm_id, str):
        issues.append(
            {
                "type": "item",
                "path": ["realmId"],
                "message": f"Invalid input: expected string, received {js_type(realm_id)}",
                "code": "value_invalid",
                "expected": "string",
                "meta": {"optional": True},
            }
        )
    raise_issues([issue for issue in issues if issue is not None])
    return {key: body[key] for key in ("name", "region", "realmId") if key in body}


# -- root and buckets -----------------------------------------------------------------------------


def root_endpoint(state: HubState) -> Callable[[Request], Awaitable[Response]]:
    """Return the handler of ``GET /``: public, although a bearer token that is sent must still be active."""

    async def root(request: Request) -> Response:
        try:
            if state.bearer_token(request) is not None:
                state.hub_identity(request)
        except FakeHubError as error:
            return hub_error_response(error)
        return JSONResponse({"version": HUB_VERSION, "timestamp": int(time.time() * 1000)})

    return root


async def list_buckets(request: Request, state: HubState, identity: Identity) -> Response:
    query = decode_query(request.url.query, BUCKET_SCHEMA, SCHEMAS)
    return JSONResponse(list_body(list(state.table(BUCKETS).values()), query, BUCKET_SCHEMA, SCHEMAS))


async def create_bucket(request: Request, state: HubState, identity: Identity) -> Response:
    state.require_permissions(identity, "bucket_create")
    accepted = validate_bucket_create(await read_json(request))

    # The Hub stores an unknown realmId as given and only checks that the caller may write that realm.
    realm_id = accepted.get("realmId") or identity.realm_id
    state.require_realm_writable(identity, realm_id)

    moment = now_iso()
    bucket = {
        "id": new_id(),
        "name": accepted["name"],
        "region": accepted.get("region"),
        "createdAt": moment,
        "updatedAt": moment,
        # The Hub's create handler drops the creator, so buckets created over HTTP have no actor.
        "actorId": None,
        "actorType": None,
        "realmId": realm_id,
    }
    state.table(BUCKETS)[bucket["id"]] = bucket
    logger.debug("Fake Hub created bucket %s", bucket["id"])
    return mutation_response(default_view(BUCKET_SCHEMA, bucket), 201)


async def get_bucket(request: Request, state: HubState, identity: Identity) -> Response:
    key = request.path_params["bucket_id"]
    bucket = None
    # Without a query string the Hub also accepts a bucket name, but with one the key must be an id.
    if not request.url.query and not _UUID.match(key):
        bucket = next((row for row in state.table(BUCKETS).values() if row["name"] == key), None)
        if bucket is None:
            raise FakeHubError(404, "entity_not_found", "The bucket was not found.")
    else:
        bucket = find_bucket(state, key)

    query = decode_query(request.url.query, BUCKET_SCHEMA, SCHEMAS, parameters=RECORD_PARAMETERS)
    return JSONResponse(record_body(bucket, query, BUCKET_SCHEMA, SCHEMAS))


def require_bucket_write(state: HubState, identity: Identity, bucket: Mapping[str, Any], permission: str) -> None:
    """Allow the bucket's creator. Anyone else needs ``permission`` and write access to the bucket's realm."""
    if is_creator(identity, bucket):
        return
    state.require_permissions(identity, permission)
    state.require_realm_writable(identity, bucket.get("realmId"))


async def update_bucket(request: Request, state: HubState, identity: Identity) -> Response:
    bucket = find_bucket(state, request.path_params["bucket_id"])
    require_bucket_write(state, identity, bucket, "bucket_update")
    await read_json(request)
    # A bucket has no writable attributes: the Hub only re-creates the object-store bucket and returns the record.
    return mutation_response(default_view(BUCKET_SCHEMA, bucket), 202)


async def delete_bucket(request: Request, state: HubState, identity: Identity) -> Response:
    bucket = find_bucket(state, request.path_params["bucket_id"])
    require_bucket_write(state, identity, bucket, "bucket_delete")

    files = state.table(BUCKET_FILES)
    for file_id in [key for key, row in files.items() if row["bucketId"] == bucket["id"]]:
        del files[file_id]
        state.file_contents.pop(file_id, None)
    del state.table(BUCKETS)[bucket["id"]]
    logger.debug("Fake Hub deleted bucket %s", bucket["id"])
    return mutation_response(default_view(BUCKET_SCHEMA, bucket), 202)


# -- upload ---------------------------------------------------------------------------------------


async def upload(request: Request, state: HubState, identity: Identity) -> Response:
    """Store every file part of a multipart body as a bucket file named by the part's filename."""
    bucket = find_bucket(state, request.path_params["bucket_id"])
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/"):
        raise FakeHubError(400, "bad_request", "A multipart content-type header is required.")

    parts: list[tuple[str, bytes]] = []
    async with request.form(max_files=10_000, max_fields=10_000) as form:
        # The field name does not matter: every part with a non-empty filename is a file.
        for _, value in form.multi_items():
            if isinstance(value, UploadFile) and value.filename:
                parts.append((value.filename, await value.read()))

    files = state.table(BUCKET_FILES)
    existing_paths = {row["path"] for row in files.values() if row["bucketId"] == bucket["id"]}
    paths = [path for path, _ in parts]
    if any(path in existing_paths for path in paths) or len(set(paths)) != len(paths):
        # The Hub returns a bare 500 for a second file at the same path, from its unique key (bucketId, path).
        # NOTE: whether the Hub keeps the other parts of such a request is not recorded. The fake stores none.
        raise FakeHubError(500, "internal_error", "An internal error occurred.")

    created = []
    for path, content in parts:
        moment = now_iso()
        directory = posixpath.dirname(path) or "."
        record = {
            "id": new_id(),
            "name": posixpath.basename(path),
            "path": path,
            # The Hub's hash is a random storage key, not a digest of the content.
            "hash": secrets.token_hex(32),
            "directory": directory,
            "size": len(content),
            "createdAt": moment,
            "updatedAt": moment,
            "actorType": identity.kind,
            "actorId": identity.id,
            "realmId": identity.realm_id,
            "bucketId": bucket["id"],
        }
        files[record["id"]] = record
        state.file_contents[record["id"]] = content
        created.append(default_view(BUCKET_FILE_SCHEMA, record))

    logger.debug("Fake Hub stored %d file(s) in bucket %s", len(created), bucket["id"])
    return JSONResponse({"data": created, "meta": {"total": len(created)}}, status_code=201)


# -- bucket files ---------------------------------------------------------------------------------


async def list_bucket_files(request: Request, state: HubState, identity: Identity) -> Response:
    query = decode_query(request.url.query, BUCKET_FILE_SCHEMA, SCHEMAS)
    records = list(state.table(BUCKET_FILES).values())
    loader = functools.partial(load_relation, state=state)
    return JSONResponse(list_body(records, query, BUCKET_FILE_SCHEMA, SCHEMAS, loader))


async def get_bucket_file(request: Request, state: HubState, identity: Identity) -> Response:
    record = find_bucket_file(state, request.path_params["file_id"])
    query = decode_query(request.url.query, BUCKET_FILE_SCHEMA, SCHEMAS, parameters=RECORD_PARAMETERS)
    loader = functools.partial(load_relation, state=state)
    return JSONResponse(record_body(record, query, BUCKET_FILE_SCHEMA, SCHEMAS, loader))


async def delete_bucket_file(request: Request, state: HubState, identity: Identity) -> Response:
    record = find_bucket_file(state, request.path_params["file_id"])
    bucket = state.table(BUCKETS).get(record["bucketId"])
    if not is_creator(identity, record) and not (bucket is not None and is_creator(identity, bucket)):
        state.require_permissions(identity, "bucket_update")
        state.require_realm_writable(identity, record.get("realmId"))

    del state.table(BUCKET_FILES)[record["id"]]
    state.file_contents.pop(record["id"], None)
    data = default_view(BUCKET_FILE_SCHEMA, record)
    data["bucket"] = default_view(BUCKET_SCHEMA, bucket) if bucket is not None else None
    return mutation_response(data, 202)


# -- streams --------------------------------------------------------------------------------------


def accepts_gzip(request: Request) -> bool:
    """Return whether the request's ``Accept-Encoding`` lists gzip (or ``*``) with a non-zero quality."""
    for entry in request.headers.get("accept-encoding", "").split(","):
        coding, _, parameters = entry.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        quality = parameters.strip()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def attachment(filename: str) -> str:
    """Return a ``Content-Disposition`` value for ``filename``, percent-encoded when it is not a plain token."""
    if _PLAIN_FILENAME.match(filename):
        return f"attachment; filename={filename}"
    return f"attachment; filename*=UTF-8''{quote(filename, safe='')}"


def media_type_for(name: str) -> str:
    """Return the content type the Hub derives from a file name (``text/*`` with UTF-8)."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/"):
        return f"{guessed}; charset=utf-8"
    return guessed


async def chunks_of(content: bytes) -> AsyncIterator[bytes]:
    view = memoryview(content)
    for start in range(0, len(content), CHUNK_SIZE):
        yield bytes(view[start : start + CHUNK_SIZE])


async def gzip_chunks(content: bytes) -> AsyncIterator[bytes]:
    # wbits=31 writes the gzip header and trailer around the deflate stream.
    compressor = zlib.compressobj(wbits=31)
    async for chunk in chunks_of(content):
        compressed = compressor.compress(chunk)
        if compressed:
            yield compressed
    yield compressor.flush()


async def stream_bucket_file(request: Request, state: HubState, identity: Identity) -> Response:
    record = find_bucket_file(state, request.path_params["file_id"])
    content = state.file_contents.get(record["id"], b"")
    headers = {"content-disposition": attachment(record["name"])}
    if accepts_gzip(request):
        headers["content-encoding"] = "gzip"
        headers["vary"] = "Accept-Encoding"
        return StreamingResponse(gzip_chunks(content), media_type=media_type_for(record["name"]), headers=headers)
    headers["content-length"] = str(len(content))
    return StreamingResponse(chunks_of(content), media_type=media_type_for(record["name"]), headers=headers)


def tar_header(record: Mapping[str, Any], size: int) -> bytes:
    info = tarfile.TarInfo(record["path"])
    info.size = size
    info.mode = 0o644
    info.mtime = int(time.time())
    info.type = tarfile.REGTYPE
    # PAX adds an extended header only for paths longer than the 100 bytes of a plain ustar header.
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="surrogateescape")


async def tar_chunks(members: list[tuple[dict[str, Any], bytes]]) -> AsyncIterator[bytes]:
    """Yield a tar archive of ``members`` piece by piece: header, content, padding, and two zero blocks at the end.

    Unlike Python's ``tarfile``, the archive is not padded to a 10 KiB record, so its length matches the Hub's.
    """
    for record, content in members:
        yield tar_header(record, len(content))
        async for chunk in chunks_of(content):
            yield chunk
        remainder = len(content) % TAR_BLOCK
        if remainder:
            yield b"\0" * (TAR_BLOCK - remainder)
    yield b"\0" * (2 * TAR_BLOCK)


async def stream_bucket(request: Request, state: HubState, identity: Identity) -> Response:
    bucket = find_bucket(state, request.path_params["bucket_id"])
    members = [
        (record, state.file_contents.get(record["id"], b""))
        for record in state.table(BUCKET_FILES).values()
        if record["bucketId"] == bucket["id"]
    ]
    headers = {"content-disposition": attachment(f"{bucket['id']}.tar")}
    return StreamingResponse(tar_chunks(members), media_type="application/x-tar", headers=headers)


# -- app ------------------------------------------------------------------------------------------


def build_storage_app(state: HubState) -> ASGIApp:
    """Return the ASGI app of the storage service, mounted at /storage."""
    from ._server import not_found

    def route(path: str, handler: Handler, method: str) -> Route:
        return Route(path, endpoint(state, handler), methods=[method])

    routes = [
        Route("/", root_endpoint(state), methods=["GET"]),
        route("/buckets", list_buckets, "GET"),
        route("/buckets", create_bucket, "POST"),
        route("/buckets/{bucket_id}", get_bucket, "GET"),
        route("/buckets/{bucket_id}", update_bucket, "POST"),
        route("/buckets/{bucket_id}", delete_bucket, "DELETE"),
        route("/buckets/{bucket_id}/stream", stream_bucket, "GET"),
        route("/buckets/{bucket_id}/upload", upload, "POST"),
        route("/bucket-files", list_bucket_files, "GET"),
        route("/bucket-files/{file_id}", get_bucket_file, "GET"),
        route("/bucket-files/{file_id}", delete_bucket_file, "DELETE"),
        route("/bucket-files/{file_id}/stream", stream_bucket_file, "GET"),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
