"""Turn a replayed response into the corpus's body form and compare it with a recorded step.

The rules are those of ``tests/contract/README.md``. One addition: a ``_text`` body is also
compared by value after normalisation, because that text is the content a test uploaded.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Keys whose string values the recorder replaced by "<redacted:len=N>".
REDACTED_KEYS = {"access_token", "refresh_token", "id_token", "token", "resethash", "activatehash", "otp"}
REDACTED_PARTS = ("secret", "password")
JWT_PATTERN = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
REDACTED_PATTERN = re.compile(r"<redacted:len=\d+>")

# Values that differ on every run. A `values` selector ending in one of these compares the JSON type only.
UNCOMPARED_VALUE_KEYS = {"createdAt", "updatedAt", "time", "timestamp", "date", "exp", "iat", "hash", "sha256"}
UNCOMPARED_VALUE_KEYS |= {"expires_in", "refresh_token_expires_in"}
# NOTE: server-generated names (project and analysis names when omitted, node externalName) are not
# exempted, because no `values` selector in the corpus reads one. A new selector that does would fail.

MISSING = "<missing>"


@dataclass
class Reply:
    """A response in the corpus's form: status, the three compared headers and the body representation."""

    status: int
    headers: dict[str, str]
    body: Any
    raw_json: Any = None  # the parsed JSON before redaction, for captures


# -- response representation ------------------------------------------------------------------


def redact(value: Any, key: str | None = None) -> Any:
    """Replace secrets and tokens in ``value`` by ``"<redacted:len=N>"``, as the recorder did."""
    if isinstance(value, dict):
        return {name: redact(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str) and REDACTED_PATTERN.fullmatch(value):
        return value
    if isinstance(value, str) and (is_secret_key(key) or JWT_PATTERN.match(value)):
        return f"<redacted:len={len(value)}>"
    return value


def is_secret_key(key: str | None) -> bool:
    if key is None:
        return False
    lowered = key.lower()
    return lowered in REDACTED_KEYS or any(part in lowered for part in REDACTED_PARTS)


def media_type(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def tar_members(data: bytes) -> list[dict[str, Any]] | None:
    """Return the members of a tar archive as ``{name, size, type}``, or ``None`` when ``data`` is no tar."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            members = archive.getmembers()
    except (tarfile.TarError, EOFError):
        return None

    result = []
    for member in members:
        if member.isfile():
            kind = "file"
        elif member.isdir():
            kind = "directory"
        elif member.issym():
            kind = "symlink"
        else:
            kind = "other"
        result.append({"name": member.name, "size": member.size, "type": kind})
    return result


def represent(status: int, headers: dict[str, str], raw: bytes) -> Reply:
    """Build the corpus's representation of a response from its status, headers and bytes on the wire."""
    compared = ("content-type", "content-encoding", "content-disposition")
    kept = {name: headers[name] for name in compared if name in headers}
    content_type = media_type(headers.get("content-type"))
    encoding = headers.get("content-encoding")

    if not raw:
        return Reply(status, kept, {"_empty": True})

    if encoding is None and content_type is not None and content_type.endswith("json"):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return Reply(status, kept, {"_invalid_json": raw[:2000].decode("utf-8", "replace")})
        return Reply(status, kept, redact(parsed), raw_json=parsed)

    if encoding is None and content_type is not None and content_type.startswith("text/"):
        return Reply(status, kept, {"_text": raw.decode("utf-8", "replace")[:2000]})

    body: dict[str, Any] = {"_binary": True, "length": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    decoded = raw
    if encoding == "gzip":
        try:
            decoded = gzip.decompress(raw)
        except (OSError, EOFError):
            body["_invalid_gzip"] = True
            return Reply(status, kept, body)
        body["decoded_length"] = len(decoded)
        body["decoded_sha256"] = hashlib.sha256(decoded).hexdigest()
    members = tar_members(decoded)
    if members is not None:
        body["tar_members"] = members
    return Reply(status, kept, body)


# -- normalisation -------------------------------------------------------------------------------


@dataclass
class Normaliser:
    """Map values of the replay to the values of the recording (ids, generated names), textually."""

    replacements: dict[str, str] = field(default_factory=dict)

    def add(self, replayed: Any, recorded: Any) -> None:
        """Map ``replayed`` to ``recorded`` when both are strings long enough to be ids or names."""
        if not isinstance(replayed, str) or not isinstance(recorded, str):
            return
        if REDACTED_PATTERN.fullmatch(recorded) or replayed == recorded:
            return
        # Short values such as "1" or "true" would corrupt unrelated text when replaced inside strings.
        if len(replayed) < 8:
            return
        self.replacements[replayed] = recorded

    def apply(self, value: Any) -> Any:
        """Return ``value`` with every mapped replay value replaced inside strings, lists and objects."""
        if isinstance(value, str):
            # Longest first, so that an id inside a longer mapped string is not replaced piecemeal.
            for replayed in sorted(self.replacements, key=len, reverse=True):
                value = value.replace(replayed, self.replacements[replayed])
            return REDACTED_PATTERN.sub("<redacted>", value)
        if isinstance(value, list):
            return [self.apply(item) for item in value]
        if isinstance(value, dict):
            return {key: self.apply(item) for key, item in value.items()}
        return value


# -- JSON shape -----------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"{value!r} is not a JSON value")


@dataclass
class Profile:
    """What the recorded values at one place allow: their JSON types, object keys and list items."""

    types: set[str] = field(default_factory=set)
    keys_always: set[str] | None = None
    keys_seen: set[str] = field(default_factory=set)
    fields: dict[str, Profile] = field(default_factory=dict)
    items: Profile | None = None


def build_profile(values: list[Any]) -> Profile:
    """Merge recorded ``values`` into one profile: keys in every object are required, others optional."""
    profile = Profile()
    field_values: dict[str, list[Any]] = {}
    item_values: list[Any] = []
    for value in values:
        profile.types.add(json_type(value))
        if isinstance(value, dict):
            keys = set(value)
            profile.keys_always = keys if profile.keys_always is None else profile.keys_always & keys
            profile.keys_seen |= keys
            for key, item in value.items():
                field_values.setdefault(key, []).append(item)
        elif isinstance(value, list):
            item_values.extend(value)

    profile.fields = {key: build_profile(items) for key, items in field_values.items()}
    if item_values:
        profile.items = build_profile(item_values)
    return profile


def fit_profile(value: Any, profile: Profile, path: str, mode: str, differences: list[str]) -> None:
    """Append to ``differences`` every way in which a replayed ``value`` does not fit the recorded ``profile``."""
    kind = json_type(value)
    if kind == "null":
        # Mode "keys" accepts null in place of any type, but "full" only where the recording had null.
        if "null" not in profile.types and mode != "keys":
            differences.append(f"{path or 'body'}: recorded {describe_types(profile)}, replayed null")
        return
    if kind not in profile.types:
        differences.append(f"{path or 'body'}: recorded {describe_types(profile)}, replayed {kind}")
        return

    if kind == "object":
        keys = set(value)
        missing = sorted((profile.keys_always or set()) - keys)
        extra = sorted(keys - profile.keys_seen)
        if missing:
            differences.append(f"{path or 'body'}: keys missing in the replay: {', '.join(missing)}")
        if extra:
            differences.append(f"{path or 'body'}: keys not in the recording: {', '.join(extra)}")
        # meta.schema is compared by its key set only: its allow-lists differ between versions.
        if path == "meta.schema":
            return
        for key in sorted(keys & set(profile.fields)):
            fit_profile(value[key], profile.fields[key], f"{path}.{key}" if path else key, mode, differences)
    elif kind == "array":
        # Empty lists on either side are not compared item-wise.
        if profile.items is None:
            return
        for index, item in enumerate(value):
            fit_profile(item, profile.items, f"{path}[{index}]", mode, differences)


def describe_types(profile: Profile) -> str:
    return " or ".join(sorted(profile.types)) or "nothing"


# -- error bodies -----------------------------------------------------------------------------------


def issue_pairs(issues: Any) -> list[tuple[Any, Any]]:
    """Return ``(code, path)`` of every issue, group issues followed by their nested issues, in order."""
    pairs: list[tuple[Any, Any]] = []
    if not isinstance(issues, list):
        return pairs
    for item in issues:
        if not isinstance(item, dict):
            pairs.append((None, repr(item)))
            continue
        path = item.get("path")
        pairs.append((item.get("code"), tuple(path) if isinstance(path, list) else path))
        if item.get("type") == "group":
            pairs.extend(issue_pairs(item.get("issues")))
    return pairs


def compare_error(recorded: Any, replayed: Any, normaliser: Normaliser, differences: list[str]) -> None:
    if not isinstance(recorded, dict) or not isinstance(replayed, dict):
        return
    for key in ("code", "error"):
        if key in recorded or key in replayed:
            expected, actual = recorded.get(key, MISSING), replayed.get(key, MISSING)
            if expected != actual:
                differences.append(f"error {key}: recorded {expected!r}, replayed {actual!r}")
    recorded_pairs = issue_pairs(recorded.get("issues"))
    replayed_pairs = issue_pairs(normaliser.apply(replayed.get("issues")))
    if recorded_pairs != replayed_pairs:
        differences.append(f"issues (code, path): recorded {recorded_pairs}, replayed {replayed_pairs}")


# -- binary bodies ------------------------------------------------------------------------------


def compare_binary(recorded: dict[str, Any], replayed: dict[str, Any], differences: list[str]) -> None:
    if set(recorded) != set(replayed):
        differences.append(f"binary body: recorded keys {sorted(recorded)}, replayed keys {sorted(replayed)}")
    length_key = "decoded_length" if "decoded_length" in recorded else "length"
    expected, actual = recorded.get(length_key), replayed.get(length_key)
    if expected != actual:
        differences.append(f"body {length_key}: recorded {expected}, replayed {actual}")
    if "tar_members" in recorded:
        recorded_members = Counter((m["name"], m["size"], m["type"]) for m in recorded["tar_members"])
        replayed_members = Counter((m["name"], m["size"], m["type"]) for m in replayed.get("tar_members") or [])
        if recorded_members != replayed_members:
            differences.append(
                f"tar members: recorded {sorted(recorded_members.elements())}, "
                f"replayed {sorted(replayed_members.elements())}"
            )


# -- values selectors -----------------------------------------------------------------------------


def select(body: Any, selector: str) -> Any:
    """Evaluate a ``values`` selector (``a.b.0``, ``data#``, ``data[*].name``, suffix ``|sorted``)."""
    expression, _, modifier = selector.partition("|")
    if modifier not in ("", "sorted"):
        raise ValueError(f"Unknown selector modifier {modifier!r} in {selector!r}; expected 'sorted'.")

    if expression.endswith("#"):
        target = select_path(body, expression[:-1])
        result: Any = len(target) if isinstance(target, list) else MISSING
    elif "[*]" in expression:
        prefix, _, rest = expression.partition("[*]")
        target = select_path(body, prefix)
        if not isinstance(target, list):
            result = MISSING
        else:
            result = [select(item, rest.lstrip(".")) if rest else item for item in target]
    else:
        result = select_path(body, expression)

    if modifier == "sorted" and isinstance(result, list):
        result = sorted(result, key=lambda item: json.dumps(item, sort_keys=True))
    return result


def select_path(body: Any, path: str) -> Any:
    current = body
    for segment in path.split(".") if path else []:
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return MISSING
    return current


def compare_values(
    selectors: list[str], recorded: Any, replayed: Any, normaliser: Normaliser, differences: list[str]
) -> None:
    for selector in selectors:
        expected = select(recorded, selector)
        actual = normaliser.apply(select(replayed, selector))
        last_key = re.split(r"[.#|\[\]*]+", selector.split("|")[0].rstrip("#"))[-1]
        if last_key in UNCOMPARED_VALUE_KEYS:
            expected, actual = type_shape(expected), type_shape(actual)
        else:
            expected = normaliser.apply(expected)
        if expected != actual:
            differences.append(f"value {selector}: recorded {expected!r}, replayed {actual!r}")


def type_shape(value: Any) -> Any:
    if isinstance(value, list):
        return [type_shape(item) for item in value]
    return value if value == MISSING else json_type(value)


# -- one step -----------------------------------------------------------------------------------


def compare_step(step: dict[str, Any], reply: Reply, normaliser: Normaliser) -> list[str]:
    """Return the differences between a recorded step and its replay (an empty list when they match)."""
    recorded = step["response"]
    mode = step.get("compare") or "full"
    differences: list[str] = []

    if recorded["status"] != reply.status:
        return [f"status: recorded {recorded['status']}, replayed {reply.status}"]
    if mode == "status":
        return differences

    recorded_headers = recorded.get("headers") or {}
    recorded_type = media_type(recorded_headers.get("content-type"))
    replayed_type = media_type(reply.headers.get("content-type"))
    if recorded_type != replayed_type:
        differences.append(f"content-type: recorded {recorded_type!r}, replayed {replayed_type!r}")
    if recorded_headers.get("content-encoding") != reply.headers.get("content-encoding"):
        differences.append(
            f"content-encoding: recorded {recorded_headers.get('content-encoding')!r}, "
            f"replayed {reply.headers.get('content-encoding')!r}"
        )
    recorded_disposition = "content-disposition" in recorded_headers
    replayed_disposition = "content-disposition" in reply.headers
    if recorded_disposition != replayed_disposition:
        differences.append(
            f"content-disposition: {'present' if recorded_disposition else 'absent'} in the recording, "
            f"{'present' if replayed_disposition else 'absent'} in the replay"
        )

    recorded_body = recorded.get("body")
    body = reply.body
    if isinstance(recorded_body, dict) and recorded_body.get("_binary"):
        if isinstance(body, dict) and body.get("_binary"):
            compare_binary(recorded_body, body, differences)
        else:
            differences.append(f"body: recorded a binary body, replayed {abbreviate(body)}")
    else:
        fit_profile(body, build_profile([recorded_body]), "", mode, differences)
        if isinstance(recorded_body, dict) and "_text" in recorded_body and isinstance(body, dict):
            if recorded_body["_text"] != normaliser.apply(body.get("_text")):
                differences.append(f"text body: recorded {recorded_body['_text']!r}, replayed {body.get('_text')!r}")
        if recorded["status"] >= 400:
            compare_error(recorded_body, body, normaliser, differences)

    compare_values(step.get("values") or [], recorded_body, body, normaliser, differences)
    return differences


def abbreviate(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "…"
