"""The resource commands of ``flame-hub`` (list, get, create, update, delete, upload, download, tarball).

Every resource of ``flame_hub.models.RESOURCES`` is reachable by its singular or plural name.
What each command accepts (filters, sorts, writable fields, relations) comes from the model's
declaration, so no resource has code of its own here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import Any

from pydantic import ValidationError

from . import errors
from ._config import ConnectionSettings, resolve_settings
from ._lookups import LOOKUPS
from ._progress import ProgressReader, progress_bar
from ._session import Session
from .models import RESOURCES, Bucket, BucketFile, Model, UnsupportedOperation

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "add_connection_arguments",
    "add_resource_commands",
    "guarded",
    "join_dash_values",
    "open_session",
]

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

CONNECTION_OPTIONS = ("url", "username", "password", "realm", "client_id", "client_secret", "token")


class UsageError(Exception):
    """The command line names something that does not exist or is malformed; the exit status is 2."""


# Options whose value may start with "-" (a descending sort key), which argparse would read as an option.
DASH_VALUE_OPTIONS = ("--order",)


def join_dash_values(argv: Sequence[str]) -> list[str]:
    """Return ``argv`` with ``--order -created_at`` joined into ``--order=-created_at`` for argparse."""
    joined: list[str] = []
    index = 0
    while index < len(argv):
        item = argv[index]
        if item in DASH_VALUE_OPTIONS and index + 1 < len(argv) and argv[index + 1].startswith("-"):
            joined.append(f"{item}={argv[index + 1]}")
            index += 2
            continue
        joined.append(item)
        index += 1
    return joined


# --- resources --------------------------------------------------------------------------------------


def _resource_names() -> dict[str, type[Model]]:
    """Map every accepted spelling (``node``, ``nodes``, ``analysis-buckets``, ``analysis_bucket``) to its model."""
    names: dict[str, type[Model]] = {}
    for model in RESOURCES:
        meta = model._meta
        if not meta.operations:
            continue
        for name in (meta.singular, meta.plural):
            names[name] = model
            names[name.replace("_", "-")] = model
    return names


RESOURCE_NAMES = _resource_names()


def resolve_resource(name: str, operation: str) -> type[Model]:
    """Return the model called ``name`` that supports ``operation``; raise ``UsageError`` otherwise."""
    model = RESOURCE_NAMES.get(name.lower())
    if model is None:
        known = ", ".join(sorted({model._meta.plural.replace("_", "-") for model in RESOURCE_NAMES.values()}))
        raise UsageError(f"Unknown resource {name!r}; resources: {known}.")
    meta = model._meta
    if not meta.supports(operation):
        supported = ", ".join(sorted(meta.operations))
        raise UsageError(f"The Hub cannot {operation} {meta.plural.replace('_', '-')}; it supports: {supported}.")
    return model


def _looks_like_id(text: str) -> bool:
    parts = text.split("-")
    return len(text) == 36 and [len(part) for part in parts] == [8, 4, 4, 4, 12]


def find_record(model: type[Model], reference: str, session: Session, **query: Any) -> Model:
    """Return the record of ``model`` whose id, or else name, is ``reference``."""
    queryset = model.objects.using(session)
    if query.get("include"):
        queryset = queryset.include(*query["include"])
    if query.get("fields"):
        queryset = queryset.fields(*query["fields"])

    if _looks_like_id(reference):
        return queryset.get(id=reference)
    if "name" not in model._meta.filters:
        raise UsageError(
            f"{reference!r} is not a {model.__name__} id, and {model._meta.plural} have no name to look up."
        )
    try:
        return queryset.get(name=reference)
    except model.DoesNotExist:
        raise model.DoesNotExist(f"No {model.__name__} has the id or name {reference!r}.", status_code=404) from None
    except model.MultipleObjectsReturned:
        # Names are unique per realm only, so a name can be ambiguous for an identity that sees several realms.
        raise UsageError(f"Several {model._meta.plural} are named {reference!r}; give the id instead.") from None


def _related_id(model: type[Model], relation_name: str, reference: str, session: Session) -> str:
    """Return the id of the record a relation argument (``realm=master``) names by id or name."""
    target = model._meta.relations[relation_name].target
    if _looks_like_id(reference):
        return reference
    record = find_record(target, reference, session)
    return str(record.id)


# --- values -------------------------------------------------------------------------------------------

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def convert_value(model: type[Model], name: str, text: str, *, what: str) -> Any:
    """Convert the text of a command-line value to the type of field ``name``; an empty text means null."""
    if text == "":
        return None

    kind = model._meta.kinds.get(name, "str")
    if kind == "bool":
        return _parse_bool(text, what)
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"{what}: {text!r} is not an integer.") from None
    if kind == "datetime":
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"{what}: {text!r} is not an ISO 8601 date and time, like 2025-01-31T12:00:00Z.") from None
    if kind == "other" and text[:1] in "[{":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{what}: {text!r} is not valid JSON ({exc}).") from None
    return text


def split_assignment(text: str, what: str) -> tuple[str, str]:
    """Split ``name=value``; raise ``UsageError`` without ``=``."""
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise UsageError(f"{what} {text!r} is not of the form NAME=VALUE.")
    return name.strip(), value


def parse_fields(
    model: type[Model], assignments: Sequence[str], session: Session, *, update: bool = False
) -> dict[str, Any]:
    """Return the field values of ``name=value`` arguments; relations (``realm=master``) become ids.

    ``update`` limits the fields that an error message lists to those an update can change.
    """
    meta = model._meta
    values: dict[str, Any] = {}
    for text in assignments:
        name, raw = split_assignment(text, "Field")
        if name in meta.relations:
            relation = meta.relations[name]
            values[relation.field] = None if raw == "" else _related_id(model, name, raw, session)
            continue
        if name not in model.model_fields:
            settable = meta.updatable if update else meta.writable_on_create
            relations = {each for each, relation in meta.relations.items() if relation.field in settable}
            writable = sorted(settable | relations)
            raise UsageError(f"{model.__name__} has no field {name!r}; fields you can set: {', '.join(writable)}.")
        values[name] = convert_value(model, name, raw, what=name)
    return values


def parse_filter(model: type[Model], text: str, session: Session) -> tuple[str, Any]:
    """Return ``(lookup, value)`` of a ``--filter`` argument such as ``name__startswith=lab-``."""
    key, raw = split_assignment(text, "Filter")
    name, _, lookup = key.partition("__")
    if lookup and lookup not in LOOKUPS:
        raise UsageError(f"Unsupported lookup {lookup!r} in {key!r}; lookups: {', '.join(LOOKUPS)}.")

    if name in model._meta.relations:
        if lookup == "in":
            return key, [_related_id(model, name, item, session) for item in raw.split(",")]
        if lookup == "isnull":
            return key, _parse_bool(raw, key)
        return key, _related_id(model, name, raw, session)

    if lookup == "isnull":
        return key, _parse_bool(raw, key)
    if lookup == "in":
        return key, [convert_value(model, name, item, what=key) for item in raw.split(",")]
    if raw == "":
        raise UsageError(f"Filter {key!r} has no value; use {name}__isnull=true to match empty fields.")
    return key, convert_value(model, name, raw, what=key)


def _parse_bool(text: str, what: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise UsageError(f"{what}: {text!r} is not a boolean; use true or false.")


# --- output --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    # A line break would split the row of a table.
    return str(value).replace("\r", "\\r").replace("\n", "\\n")


def record_data(obj: Model) -> dict[str, Any]:
    """Return the fields of ``obj`` as JSON values; secret fields are left out."""
    secret = obj._meta.secret
    data = obj.model_dump(mode="json", exclude=set(secret))
    return {name: data.get(name) for name in type(obj).model_fields if name not in secret}


def default_columns(model: type[Model]) -> list[str]:
    meta = model._meta
    columns = [name for name in meta.repr_fields if name not in meta.secret]
    for name in ("name", "created_at"):
        if name in model.model_fields and name not in columns:
            columns.append(name)
    return columns


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """Return ``rows`` as aligned columns under ``header``, separated by two spaces."""
    widths = [len(title) for title in header]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(title.upper().ljust(width) for title, width in zip(header, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def print_records(records: Iterable[Model], model: type[Model], output_format: str, columns: list[str]) -> int:
    """Print records as a table or a JSON array; return how many there were."""
    if output_format == "json":
        data = [record_data(obj) for obj in records]
        print(json.dumps(data, indent=2))
        return len(data)

    rows = [[_text(obj.__dict__.get(name)) for name in columns] for obj in records]
    if rows:
        print(format_table(rows, columns))
    else:
        print(f"No {model._meta.plural.replace('_', ' ')} found.", file=sys.stderr)
    return len(rows)


def print_record(obj: Model, output_format: str) -> None:
    """Print one record as a field table or a JSON object."""
    data = record_data(obj)
    if output_format == "json":
        print(json.dumps(data, indent=2))
        return
    rows = [[name, _text(getattr(obj, name, None))] for name in data]
    print(format_table(rows, ["field", "value"]))


# --- connection ------------------------------------------------------------------------------------------


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options that select the Hub and the identity that logs in; each falls back to FLAME_HUB_* variables."""
    group = parser.add_argument_group(
        "connection",
        "Options override the FLAME_HUB_* environment variables, which override the profile of the config file "
        "(FLAME_HUB_CONFIG, default ~/.config/flame-hub/config.toml).",
    )
    group.add_argument("--url", help="Base URL of the Hub, like https://hub.example.org (FLAME_HUB_URL).")
    group.add_argument("--username", help="User to log in as with the password grant (FLAME_HUB_USERNAME).")
    group.add_argument(
        "--password",
        help="Password of --username (FLAME_HUB_PASSWORD). Prefer the variable: other users can read "
        "command lines. Prompted for in a terminal when missing.",
    )
    group.add_argument("--realm", help="Realm name or id of --username; the master realm when omitted.")
    group.add_argument("--client-id", help="Client id to log in with the client_credentials grant.")
    group.add_argument("--client-secret", help="Secret of --client-id (FLAME_HUB_CLIENT_SECRET).")
    group.add_argument("--token", help="An access token obtained elsewhere; it is never renewed (FLAME_HUB_TOKEN).")
    group.add_argument("--profile", help="Profile of the config file to use (FLAME_HUB_PROFILE).")
    group.add_argument("--timeout", type=float, metavar="SECONDS", help="Timeout of each request in seconds.")
    group.add_argument(
        "-v", "--verbose", action="store_true", help="Log every HTTP request (method, URL, status, duration)."
    )


@contextmanager
def command_logging(verbose: bool) -> Iterator[None]:
    """Print warnings of the library (retries, config file permissions) and, when ``verbose``, each request.

    The handler and level are removed again afterwards, so ``main()`` called from Python code
    leaves the caller's logging set-up as it was.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("flame-hub: %(message)s"))
    package_logger = logging.getLogger("flame_hub")
    previous_level = package_logger.level
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    try:
        yield
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(previous_level)


def connection_settings(args: argparse.Namespace) -> ConnectionSettings:
    """Resolve the connection settings of ``args``, asking for a missing password in a terminal."""
    options = {name: getattr(args, name, None) for name in CONNECTION_OPTIONS}
    options["timeout"] = getattr(args, "timeout", None)
    settings = resolve_settings(options, getattr(args, "profile", None))

    if settings.url is None:
        raise errors.ConfigurationError(
            "No Hub URL: pass --url, set FLAME_HUB_URL, or add url to a profile of the config file."
        )
    if settings.kind == "user" and not settings.password and sys.stdin.isatty():
        try:
            settings.password = getpass.getpass(f"Password for {settings.username} at {settings.url}: ")
        except EOFError:
            settings.password = None
    return settings


def open_session(args: argparse.Namespace) -> tuple[Session, ConnectionSettings]:
    """Return a Session for the Hub and identity of ``args`` (options, environment, config file)."""
    settings = connection_settings(args)
    kwargs: dict[str, Any] = {"auth": settings.build_auth(), "verify": settings.verify}
    if settings.timeout is not None:
        kwargs["timeout"] = settings.timeout
    return Session(settings.url, **kwargs), settings


def guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command so that errors print one message and map to exit statuses (1 API, 2 usage)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            with command_logging(getattr(args, "verbose", False)):
                return handler(args)
        except KeyboardInterrupt:
            print("flame-hub: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except (UsageError, errors.ConfigurationError, UnsupportedOperation) as exc:
            return _fail(exc, EXIT_USAGE)
        except errors.HubError as exc:
            return _fail(exc, EXIT_API_ERROR)
        except ValidationError as exc:
            messages = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in exc.errors())
            return _fail(f"Invalid value: {messages}.", EXIT_USAGE)
        except (ValueError, TypeError, AttributeError) as exc:
            # The models check values before any request (lengths, enum values, read-only fields).
            return _fail(exc, EXIT_USAGE)
        except BrokenPipeError:
            # The reader of standard output went away (``| head``); cli.main() ends quietly.
            raise
        except OSError as exc:
            return _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else exc, EXIT_API_ERROR)

    return run


def _fail(error: object, status: int) -> int:
    print(f"flame-hub: error: {error}", file=sys.stderr)
    return status


# --- commands ----------------------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    model = resolve_resource(args.resource, "list")
    if args.limit is not None and args.limit < 0:
        raise UsageError(f"--limit {args.limit} is invalid: give 0 or more rows.")
    session, _ = open_session(args)
    with session:
        queryset = model.objects.using(session)
        for text in args.filter:
            key, value = parse_filter(model, text, session)
            queryset = queryset.filter(**{key: value})
        for text in args.exclude:
            key, value = parse_filter(model, text, session)
            queryset = queryset.exclude(**{key: value})
        order = [key.strip() for item in args.order for key in item.split(",") if key.strip()]
        if order:
            queryset = queryset.order_by(*order)
        if args.include:
            queryset = queryset.include(*args.include)
        if args.offset or args.limit is not None:
            stop = None if args.limit is None else args.offset + args.limit
            queryset = queryset[args.offset : stop]

        columns = _columns(model, args.columns)
        print_records(queryset.iterator(), model, args.format, columns)
    return EXIT_OK


def _columns(model: type[Model], text: str | None) -> list[str]:
    if not text:
        return default_columns(model)
    columns = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in columns if name not in model.model_fields or name in model._meta.secret]
    if unknown:
        shown = [name for name in model.model_fields if name not in model._meta.secret]
        raise UsageError(f"Unknown column {unknown[0]!r} for {model.__name__}; columns: {', '.join(shown)}.")
    return columns


def run_get(args: argparse.Namespace) -> int:
    model = resolve_resource(args.resource, "get")
    session, _ = open_session(args)
    with session:
        obj = find_record(model, args.id, session, include=args.include, fields=args.fields)
        print_record(obj, args.format)
    return EXIT_OK


def run_create(args: argparse.Namespace) -> int:
    model = resolve_resource(args.resource, "create")
    session, _ = open_session(args)
    with session:
        values = parse_fields(model, args.assignments, session)
        obj = model(**values)
        obj.save(using=session)
        print_record(obj, args.format)
    return EXIT_OK


def run_update(args: argparse.Namespace) -> int:
    model = resolve_resource(args.resource, "update")
    if not args.assignments:
        raise UsageError("Nothing to update: give at least one NAME=VALUE.")
    session, _ = open_session(args)
    with session:
        obj = find_record(model, args.id, session)
        values = parse_fields(model, args.assignments, session, update=True)
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save(update_fields=list(values), using=session)
        print_record(obj, args.format)
    return EXIT_OK


def run_delete(args: argparse.Namespace) -> int:
    model = resolve_resource(args.resource, "delete")
    session, _ = open_session(args)
    with session:
        obj = find_record(model, args.id, session)
        obj.delete(using=session)
    print(f"Deleted {model._meta.singular.replace('_', ' ')} {obj.id}.")
    return EXIT_OK


def run_upload(args: argparse.Namespace) -> int:
    paths = list(args.files)
    for path in paths:
        if not os.path.isfile(path):
            raise UsageError(f"Cannot upload {path!r}: it is not a file.")
    progress = False if args.no_progress else None

    session, _ = open_session(args)
    with session:
        bucket = find_record(Bucket, args.bucket, session)
        assert isinstance(bucket, Bucket)
        total = sum(os.path.getsize(path) for path in paths)
        with progress_bar(total, description=f"Uploading to {bucket.name}", unit="B", progress=progress) as bar:
            handles = [open(path, "rb") for path in paths]
            try:
                sources = [
                    (os.path.basename(path), ProgressReader(handle, bar))
                    for path, handle in zip(paths, handles, strict=True)
                ]
                uploaded = bucket.upload(*sources)
            finally:
                for handle in handles:
                    handle.close()
        print_records(uploaded, BucketFile, args.format, ["id", "path", "size"])
    return EXIT_OK


def run_download(args: argparse.Namespace) -> int:
    progress = False if args.no_progress else None
    session, _ = open_session(args)
    with session:
        bucket_file = BucketFile.objects.using(session).get(id=args.bucket_file)
        name = bucket_file.name or str(bucket_file.id)
        description = f"Downloading {name}"
        chunks = bucket_file.stream()

        if args.output == "-":
            _write_with_progress(chunks, sys.stdout.buffer, bucket_file.size, description, progress)
            sys.stdout.buffer.flush()
            return EXIT_OK

        destination = args.output or name
        if os.path.isdir(destination):
            destination = os.path.join(destination, name)
        with open(destination, "wb") as handle:
            written = _write_with_progress(chunks, handle, bucket_file.size, description, progress)
    print(f"Wrote {written} bytes to {destination}.", file=sys.stderr)
    return EXIT_OK


def run_tarball(args: argparse.Namespace) -> int:
    progress = False if args.no_progress else None
    session, _ = open_session(args)
    with session:
        bucket = find_record(Bucket, args.bucket, session)
        assert isinstance(bucket, Bucket)
        description = f"Downloading {bucket.name}.tar"
        chunks = bucket.tarball()

        if args.output == "-":
            _write_with_progress(chunks, sys.stdout.buffer, None, description, progress)
            sys.stdout.buffer.flush()
            return EXIT_OK

        destination = args.output or f"{bucket.name or bucket.id}.tar"
        with open(destination, "wb") as handle:
            written = _write_with_progress(chunks, handle, None, description, progress)
    print(f"Wrote {written} bytes to {destination}.", file=sys.stderr)
    return EXIT_OK


def _write_with_progress(
    chunks: Iterable[bytes], handle: Any, total: int | None, description: str, progress: bool | None
) -> int:
    written = 0
    with progress_bar(total, description=description, unit="B", progress=progress) as bar:
        for chunk in chunks:
            handle.write(chunk)
            written += len(chunk)
            bar.update(len(chunk))
    return written


# --- registration ------------------------------------------------------------------------------------------


def add_resource_commands(subcommands: argparse._SubParsersAction) -> None:
    """Register list, get, create, update, delete, upload, download and tarball."""
    resources = ", ".join(sorted({model._meta.plural.replace("_", "-") for model in RESOURCE_NAMES.values()}))
    resource_help = f"Resource, singular or plural: {resources}."

    parser = subcommands.add_parser(
        "list",
        help="List the records of a resource.",
        description="List records, filtered and sorted by the Hub. Filters use the ORM's lookups "
        "(name__startswith=lab-, hidden=false, realm=master, id__in=ID1,ID2).",
    )
    parser.add_argument("resource", help=resource_help)
    parser.add_argument(
        "--filter", action="append", default=[], metavar="LOOKUP=VALUE", help="Keep matching records; repeatable."
    )
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="LOOKUP=VALUE", help="Drop matching records; repeatable."
    )
    parser.add_argument(
        "--order", action="append", default=[], metavar="FIELD", help="Sort by FIELD, -FIELD for descending."
    )
    parser.add_argument("--limit", type=int, help="Print at most this many records (default: all).")
    parser.add_argument("--offset", type=int, default=0, help="Skip this many records first (default: 0).")
    parser.add_argument("--include", action="append", default=[], metavar="RELATION", help="Embed a relation.")
    parser.add_argument("--columns", metavar="FIELD,...", help="Columns of the table (default: identifying fields).")
    _add_format_argument(parser)
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_list))

    parser = subcommands.add_parser(
        "get",
        help="Print one record.",
        description="Print one record by id, or by name for resources that have one. Secret fields are never printed.",
    )
    parser.add_argument("resource", help=resource_help)
    parser.add_argument("id", metavar="ID", help="Id or name of the record.")
    parser.add_argument("--include", action="append", default=[], metavar="RELATION", help="Embed a relation.")
    parser.add_argument(
        "--fields", action="append", default=[], metavar="FIELD", help="Also load a hidden field (such as email)."
    )
    _add_format_argument(parser)
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_get))

    parser = subcommands.add_parser(
        "create",
        help="Create a record.",
        description="Create a record from NAME=VALUE pairs and print it. Relations take an id or a name "
        "(realm=master); an empty value sends null; booleans are true or false.",
    )
    parser.add_argument("resource", help=resource_help)
    parser.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="Field values.")
    _add_format_argument(parser)
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_create))

    parser = subcommands.add_parser(
        "update",
        help="Change fields of a record.",
        description="Send the given fields of a record as an update and print the result.",
    )
    parser.add_argument("resource", help=resource_help)
    parser.add_argument("id", metavar="ID", help="Id or name of the record.")
    parser.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="Field values.")
    _add_format_argument(parser)
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_update))

    parser = subcommands.add_parser(
        "delete", help="Delete a record.", description="Delete a record by id, or by name for resources that have one."
    )
    parser.add_argument("resource", help=resource_help)
    parser.add_argument("id", metavar="ID", help="Id or name of the record.")
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_delete))

    parser = subcommands.add_parser(
        "upload",
        help="Upload files into a bucket.",
        description="Upload local files into a storage bucket in one request and print the new bucket files.",
    )
    parser.add_argument("bucket", metavar="BUCKET", help="Id or name of the bucket.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="Local files; each is stored under its base name.")
    parser.add_argument("--no-progress", action="store_true", help="Draw no progress bar, even in a terminal.")
    _add_format_argument(parser)
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_upload))

    parser = subcommands.add_parser(
        "download",
        help="Download a bucket file.",
        description="Download the content of a bucket file.",
    )
    parser.add_argument("bucket_file", metavar="BUCKET_FILE", help="Id of the bucket file.")
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="File or directory to write to, - for standard output (default: the file's name here).",
    )
    parser.add_argument("--no-progress", action="store_true", help="Draw no progress bar, even in a terminal.")
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_download))

    parser = subcommands.add_parser(
        "tarball",
        help="Download all files of a bucket as a tar archive.",
        description="Download every file of a storage bucket as one tar archive, streamed by the Hub.",
    )
    parser.add_argument("bucket", metavar="BUCKET", help="Id or name of the bucket.")
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="File to write to, - for standard output (default: BUCKET_NAME.tar here).",
    )
    parser.add_argument("--no-progress", action="store_true", help="Draw no progress bar, even in a terminal.")
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_tarball))


def _add_format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table", help="Output format (default: table).")
