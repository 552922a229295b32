"""Replay a recorded contract scenario against a running Hub and collect the differences per step."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx2
from contract_compare import MISSING, Normaliser, Reply, abbreviate, compare_step, represent, select_path

CORPUS = Path(__file__).parent
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
INVALID_TOKEN = "invalid-garbage-token-0000"
ADMIN = ("admin", "start123")
SYSTEM_CLIENT = ("system", "start123")
TOKEN_CAPTURE_PREFIX = "@token:"


class MissingPlaceholder(Exception):
    """A step cannot be sent because a placeholder value or an identity's token is not available."""

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


def scenario_paths() -> list[Path]:
    return sorted(CORPUS.glob("[0-9]*.json"))


def load_scenario(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def fresh_rand() -> str:
    """Return 8 hex characters with at least one letter, so that ``{RAND}`` differs from ``{rand}``."""
    while True:
        value = secrets.token_hex(4)
        if any(char.isalpha() for char in value):
            return value


def fill(value: Any, placeholders: dict[str, Any]) -> Any:
    """Replace ``{name}`` placeholders in strings, lists and objects. A lone placeholder keeps its JSON type."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return lookup(whole.group(1), placeholders)
        return PLACEHOLDER.sub(lambda match: str(lookup(match.group(1), placeholders)), value)
    if isinstance(value, list):
        return [fill(item, placeholders) for item in value]
    if isinstance(value, dict):
        return {fill(key, placeholders): fill(item, placeholders) for key, item in value.items()}
    return value


def lookup(name: str, placeholders: dict[str, Any]) -> Any:
    if name not in placeholders:
        raise MissingPlaceholder(f"placeholder {{{name}}} was not captured by an earlier step", name)
    return placeholders[name]


def encode_query(pairs: list[list[str]]) -> str:
    """Encode query pairs as the recorder sent them: percent-encoded, ``[`` and ``]`` kept, ``+`` as ``%2B``."""
    return "&".join(f"{quote(str(key), safe='[]')}={quote(str(value), safe='[]')}" for key, value in pairs)


@dataclass
class StepOutcome:
    """The result of replaying one step: what was sent and how the response differs from the recording."""

    index: int
    note: str
    cleanup: bool
    request_line: str
    differences: list[str] = field(default_factory=list)
    replayed_body: Any = None


class ScenarioReplay:
    """Replay the steps of one scenario against ``base_url``, mapping its ids to the recorded ones."""

    def __init__(self, scenario: dict[str, Any], base_url: str, client: httpx2.Client) -> None:
        self.scenario = scenario
        self.base_url = base_url.rstrip("/")
        self.client = client
        rand = fresh_rand()
        self.placeholders: dict[str, Any] = {"rand": rand, "RAND": rand.upper()}
        self.normaliser = Normaliser()
        self.normaliser.add(rand, scenario["rand"])
        self.normaliser.add(rand.upper(), scenario["rand"].upper())
        self.tokens: dict[str, str] = {}
        self.identity_errors: dict[str, str] = {}

    # -- identities and globals ----------------------------------------------------------------

    def token_for(self, auth: str) -> str:
        """Return the bearer token of an identity kind, logging in for ``admin`` and ``client``."""
        if auth in self.tokens:
            return self.tokens[auth]
        if auth == "admin":
            payload = {"grant_type": "password", "username": ADMIN[0], "password": ADMIN[1]}
        elif auth == "client":
            payload = {
                "grant_type": "client_credentials",
                "client_id": SYSTEM_CLIENT[0],
                "client_secret": SYSTEM_CLIENT[1],
            }
        else:
            raise MissingPlaceholder(
                f"no token for identity {auth!r}: no earlier step captured {TOKEN_CAPTURE_PREFIX}{auth}"
            )

        response = self.client.post(f"{self.base_url}/auth/token", json=payload)
        try:
            token = response.json().get("access_token") if response.status_code == 200 else None
        except ValueError:
            token = None
        if not isinstance(token, str):
            raise MissingPlaceholder(
                f"no {auth} token: POST /auth/token with grant_type={payload['grant_type']} returned "
                f"{response.status_code}: {abbreviate(response.text, 200)}"
            )
        self.tokens[auth] = token
        return token

    def discover_globals(self) -> None:
        """Look up the master realm and admin user ids, as the recorder did before each scenario."""
        recorded = self.scenario.get("globals") or {}
        lookups = {
            "master_realm_id": "/auth/realms?filter[name]=master",
            "admin_user_id": "/auth/users?filter[name]=admin",
        }
        for name, path in lookups.items():
            try:
                headers = {"authorization": f"Bearer {self.token_for('admin')}"}
            except MissingPlaceholder as error:
                self.identity_errors[name] = str(error)
                continue
            response = self.client.get(f"{self.base_url}{path}", headers=headers)
            try:
                value = select_path(response.json(), "data.0.id")
            except ValueError:
                value = None
            if not isinstance(value, str):
                self.identity_errors[name] = f"GET {path} returned {response.status_code} without data.0.id"
                continue
            self.placeholders[name] = value
            self.normaliser.add(value, recorded.get(name))

    # -- steps --------------------------------------------------------------------------------

    def run(self) -> list[StepOutcome]:
        """Run every step in order. A failure does not stop the replay, so cleanup steps always run."""
        self.discover_globals()
        outcomes = []
        for step in self.scenario["steps"]:
            outcome = self.run_step(step)
            if outcome is not None:
                outcomes.append(outcome)
            if step.get("delay"):
                time.sleep(float(step["delay"]))
        return outcomes

    def run_step(self, step: dict[str, Any]) -> StepOutcome | None:
        template = step["template"]
        cleanup = bool(step.get("cleanup"))
        outcome = StepOutcome(step["index"], step.get("note", ""), cleanup, f"{template['method']} {template['path']}")

        if "skipped" in step and not cleanup:
            return None
        try:
            request = self.build_request(template)
        except MissingPlaceholder as error:
            if "skipped" in step:
                return None
            reason = self.identity_errors.get(error.name or "")
            outcome.differences.append(f"not sent: {error}" + (f" (lookup failed: {reason})" if reason else ""))
            return outcome

        outcome.request_line = request.pop("line")
        reply = self.send(request)
        outcome.replayed_body = reply.body
        # A skipped cleanup step only removes what the replay created by mistake, so it is not compared.
        if "skipped" in step:
            return outcome

        outcome.differences.extend(compare_step(step, reply, self.normaliser))
        self.capture(step, reply, outcome)
        return outcome

    def build_request(self, template: dict[str, Any]) -> dict[str, Any]:
        """Fill a step template into keyword arguments for ``httpx2.Client.request``."""
        path = fill(template["path"], self.placeholders)
        query = encode_query(fill(template.get("query") or [], self.placeholders))
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        headers = {"accept-encoding": template.get("accept_encoding") or "identity"}
        request: dict[str, Any] = {"method": template["method"], "url": url, "headers": headers}

        auth = template["auth"]
        if auth == "invalid":
            headers["authorization"] = f"Bearer {INVALID_TOKEN}"
        elif auth == "basic":
            user, password = fill(template["basic"], self.placeholders)
            request["auth"] = (user, password)
        elif auth != "none":
            headers["authorization"] = f"Bearer {self.token_for(auth)}"

        if "json" in template:
            headers["content-type"] = "application/json"
            request["content"] = json.dumps(fill(template["json"], self.placeholders)).encode()
        elif "form" in template:
            headers["content-type"] = "application/x-www-form-urlencoded"
            pairs = [(key, value) for key, value in fill(template["form"], self.placeholders)]
            request["content"] = urlencode(pairs).encode()
        elif "raw" in template:
            raw = fill(template["raw"], self.placeholders)
            headers["content-type"] = raw["content_type"]
            request["content"] = raw["body"].encode()
        elif "files" in template:
            request["files"] = [multipart_part(part) for part in fill(template["files"], self.placeholders)]

        request["line"] = f"{template['method']} {path}" + (f"?{query}" if query else "") + f" as {auth}"
        return request

    def send(self, request: dict[str, Any]) -> Reply:
        with self.client.stream(**request) as response:
            raw = b"".join(response.iter_raw())
            headers = {name.lower(): value for name, value in response.headers.items()}
            reply = represent(response.status_code, headers, raw)
        return reply

    def capture(self, step: dict[str, Any], reply: Reply, outcome: StepOutcome) -> None:
        """Store the values named by the step's ``capture`` and map each to its recorded value."""
        recorded = step.get("captures") or {}
        for name, path in (step.get("capture") or {}).items():
            optional = path.startswith("?")
            value = select_path(reply.raw_json, path.lstrip("?"))
            if value is None or value == MISSING:
                if not optional and recorded.get(name) is not None and not outcome.differences:
                    outcome.differences.append(f"capture {name}: {path} is missing in the replayed body")
                continue
            if name.startswith(TOKEN_CAPTURE_PREFIX):
                self.tokens[name[len(TOKEN_CAPTURE_PREFIX) :]] = value
                continue
            self.placeholders[name] = value
            self.normaliser.add(value, recorded.get(name))


def multipart_part(part: dict[str, Any]) -> tuple[str, Any]:
    content = part["content"].encode()
    if part.get("filename") is None:
        return part["field"], (None, content)
    return part["field"], (part["filename"], content, part.get("content_type") or "application/octet-stream")


def replay_scenario(scenario: dict[str, Any], base_url: str) -> list[StepOutcome]:
    with httpx2.Client(timeout=30) as client:
        return ScenarioReplay(scenario, base_url, client).run()


def describe_failures(scenario: dict[str, Any], outcomes: list[StepOutcome], max_steps: int = 5) -> str:
    """Return a readable report of the failing steps: scenario, step, request and the first differences."""
    failing = [outcome for outcome in outcomes if outcome.differences]
    lines = [
        f"Scenario {scenario['name']}: {len(failing)} of {len(scenario['steps'])} steps differ from the recording."
    ]
    for outcome in failing[:max_steps]:
        label = " (cleanup)" if outcome.cleanup else ""
        note = f" [{outcome.note}]" if outcome.note else ""
        lines.append(f"step {outcome.index}{label}{note}: {outcome.request_line}")
        for difference in outcome.differences[:8]:
            lines.append(f"  - {difference}")
        if len(outcome.differences) > 8:
            lines.append(f"  - … and {len(outcome.differences) - 8} more")
        if outcome.differences[0].startswith("status:") and outcome.replayed_body is not None:
            lines.append(f"  replayed body: {abbreviate(outcome.replayed_body)}")
    if len(failing) > max_steps:
        lines.append(f"Further failing steps: {', '.join(str(outcome.index) for outcome in failing[max_steps:])}")
    return "\n".join(lines)
