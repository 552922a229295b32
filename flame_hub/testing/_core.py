"""The fake Hub's core service: every resource of hub 0.14.0's ``/core/`` API, its routes and seed data."""

from __future__ import annotations

import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import _core_analyses as analyses
from . import _core_nodes as nodes
from ._core_base import Call, answer, empty, endpoint, list_answer, read_body, record_answer, stamp, touch
from ._core_schemas import MASTER_IMAGE, MASTER_IMAGE_GROUP
from ._errors import FakeHubError, hub_error_response
from ._state import HubState, new_id

HUB_VERSION = "0.14.0"

# The seeded master image catalogue: (group path, image name, command arguments).
MASTER_IMAGES = (
    ("python", "base", [{"value": "-u"}]),
    ("python", "slim", None),
)
MASTER_IMAGE_COMMAND = "/usr/bin/env python"


def seed_core(state: HubState) -> None:
    """Insert the initial records of the core service: the ``python`` master image group and its images."""
    groups = state.table("core.master_image_groups")
    images = state.table("core.master_images")
    for group_path in sorted({group for group, _, _ in MASTER_IMAGES}):
        group = stamp({"id": new_id(), "name": group_path, "path": group_path, "virtualPath": group_path})
        groups[group["id"]] = group
    for group_path, name, arguments in MASTER_IMAGES:
        path = f"{group_path}/{name}"
        image: dict[str, Any] = {
            "id": new_id(),
            "buildStatus": None,
            "buildProgress": None,
            "buildHash": None,
            "buildSize": None,
            "path": path,
            "virtualPath": path,
            "groupVirtualPath": group_path,
            "name": name,
            "command": MASTER_IMAGE_COMMAND,
            "commandArguments": arguments,
        }
        stamp(image)
        images[image["id"]] = image


# -- root, master images, services -------------------------------------------------------------------------


async def read_root(request: Request, call: Call) -> Response:
    return JSONResponse({"version": HUB_VERSION, "timestamp": int(time.time() * 1000)})


async def list_master_images(request: Request, call: Call) -> Response:
    return list_answer(request, call, MASTER_IMAGE, call.table("masterImage").values())


async def read_master_image(request: Request, call: Call) -> Response:
    return record_answer(request, call, MASTER_IMAGE, call.find("masterImage", request.path_params["id"]))


async def delete_master_image(request: Request, call: Call) -> Response:
    call.require("master_image_manage")
    image = call.find("masterImage", request.path_params["id"])
    for record in [*call.table("project").values(), *call.table("analysis").values()]:
        if record.get("masterImageId") == image["id"]:
            record["masterImageId"] = None
    del call.table("masterImage")[image["id"]]
    return answer(dict(image), 202)


async def run_master_image_command(request: Request, call: Call) -> Response:
    call.require("master_image_manage")
    body = await read_body(request)
    command = body.get("command") if isinstance(body, dict) else None
    if command == "sync":
        # NOTE: the Hub syncs the catalogue from GitHub in the background; the fake keeps its seeded images.
        return answer(None, 202)
    if command == "build":
        image_id = body.get("id")
        if not isinstance(image_id, str) or not image_id:
            raise FakeHubError(400, "bad_request", "A valid master image id is required.")
        image = call.find("masterImage", image_id)
        image["buildStatus"] = "starting"
        touch(image)
        return answer(dict(image), 202)
    raise FakeHubError(400, "bad_request", f"Unknown command: {_js_text(command)}")


def _js_text(value: Any) -> str:
    # The Hub interpolates the raw JavaScript value, so a missing command reads "undefined".
    return "undefined" if value is None else str(value)


async def list_master_image_groups(request: Request, call: Call) -> Response:
    return list_answer(request, call, MASTER_IMAGE_GROUP, call.table("masterImageGroup").values())


async def read_master_image_group(request: Request, call: Call) -> Response:
    group = call.find("masterImageGroup", request.path_params["id"])
    return record_answer(request, call, MASTER_IMAGE_GROUP, group)


async def delete_master_image_group(request: Request, call: Call) -> Response:
    call.require("master_image_group_manage")
    group = call.find("masterImageGroup", request.path_params["id"])
    del call.table("masterImageGroup")[group["id"]]
    return answer(dict(group), 202)


REGISTRY_COMMANDS = {"setup": "registry", "delete": "registry", "cleanup": "registry"}
REGISTRY_PROJECT_COMMANDS = {"projectLink": "registryProject", "projectUnlink": "registryProject"}


def _require_service(request: Request) -> None:
    if request.path_params["service"] != "registry":
        raise FakeHubError(404, "entity_not_found", "The service was not found.")


async def run_service_command(request: Request, call: Call) -> Response:
    _require_service(request)
    call.require("registry_manage")
    body = await read_body(request)
    command = body.get("command") if isinstance(body, dict) else None
    # A command that is not a string (a list, an object) is as unknown as a misspelt one.
    known = {**REGISTRY_COMMANDS, **REGISTRY_PROJECT_COMMANDS}
    target = known.get(command) if isinstance(command, str) else None
    if target is None:
        raise FakeHubError(400, "bad_request", f"Unknown command: {_js_text(command)}")

    target_id = body.get("id")
    name = "registry" if target == "registry" else "registry-project"
    if not isinstance(target_id, str) or target_id not in call.table(target):
        raise FakeHubError(404, "entity_not_found", f"The {name} was not found.")
    if command == "cleanup":
        # Recorded on hub 0.14.0: the cleanup command has no handler behind it and fails.
        raise FakeHubError(500, "internal_error", "No caller could call component.")
    # NOTE: the other commands talk to Harbor on a real Hub; the fake only accepts them.
    return empty(202)


async def receive_service_hook(request: Request, call: Call) -> Response:
    _require_service(request)
    await read_body(request)
    return empty(202)


# -- routes -------------------------------------------------------------------------------------------------

_ROUTES: list[tuple[str, str, Any, bool]] = [
    ("/", "GET", read_root, True),
    ("/nodes", "GET", nodes.list_nodes, False),
    ("/nodes", "POST", nodes.create_node, False),
    ("/nodes/{id}", "GET", nodes.read_node, False),
    ("/nodes/{id}", "POST", nodes.update_node, False),
    ("/nodes/{id}", "DELETE", nodes.delete_node, False),
    ("/nodes/{id}/client/credentials", "GET", nodes.read_node_credentials, False),
    ("/nodes/{id}/client/credentials", "POST", nodes.write_node_credentials, False),
    ("/nodes/{id}/registry/credentials", "GET", nodes.read_node_registry_credentials, False),
    ("/registries", "GET", nodes.list_registries, False),
    ("/registries", "POST", nodes.create_registry, False),
    ("/registries/{id}", "GET", nodes.read_registry, False),
    ("/registries/{id}", "POST", nodes.update_registry, False),
    ("/registries/{id}", "DELETE", nodes.delete_registry, False),
    ("/registry-projects", "GET", nodes.list_registry_projects, False),
    ("/registry-projects", "POST", nodes.create_registry_project, False),
    ("/registry-projects/{id}", "GET", nodes.read_registry_project, False),
    ("/registry-projects/{id}", "POST", nodes.update_registry_project, False),
    ("/registry-projects/{id}", "DELETE", nodes.delete_registry_project, False),
    ("/projects", "GET", nodes.list_projects, False),
    ("/projects", "POST", nodes.create_project, False),
    ("/projects/{id}", "GET", nodes.read_project, False),
    ("/projects/{id}", "POST", nodes.update_project, False),
    ("/projects/{id}", "DELETE", nodes.delete_project, False),
    ("/project-nodes", "GET", nodes.list_project_nodes, False),
    ("/project-nodes", "POST", nodes.create_project_node, False),
    ("/project-nodes/{id}", "GET", nodes.read_project_node, False),
    ("/project-nodes/{id}", "POST", nodes.update_project_node, False),
    ("/project-nodes/{id}", "DELETE", nodes.delete_project_node, False),
    ("/analyses", "GET", analyses.list_analyses, False),
    ("/analyses", "POST", analyses.create_analysis, False),
    ("/analyses/{id}", "GET", analyses.read_analysis, False),
    ("/analyses/{id}", "POST", analyses.update_analysis, False),
    ("/analyses/{id}", "DELETE", analyses.delete_analysis, False),
    ("/analyses/{id}/command", "POST", analyses.run_analysis_command, False),
    ("/analyses/{id}/client/credentials", "GET", analyses.read_analysis_credentials, False),
    ("/analyses/{id}/client/credentials", "POST", analyses.write_analysis_credentials, False),
    ("/analyses/{id}/client/permissions", "GET", analyses.list_analysis_permissions, False),
    ("/analyses/{id}/client/permissions", "POST", analyses.add_analysis_permission, False),
    ("/analyses/{id}/client/permissions/{permission_id}", "DELETE", analyses.remove_analysis_permission, False),
    ("/analysis-nodes", "GET", analyses.list_analysis_nodes, False),
    ("/analysis-nodes", "POST", analyses.create_analysis_node, False),
    ("/analysis-nodes/{id}", "GET", analyses.read_analysis_node, False),
    ("/analysis-nodes/{id}", "POST", analyses.update_analysis_node, False),
    ("/analysis-nodes/{id}", "DELETE", analyses.delete_analysis_node, False),
    ("/analysis-buckets", "GET", analyses.list_analysis_buckets, False),
    ("/analysis-buckets", "POST", analyses.create_analysis_bucket, False),
    ("/analysis-buckets/{id}", "GET", analyses.read_analysis_bucket, False),
    ("/analysis-buckets/{id}", "POST", analyses.update_analysis_bucket, False),
    ("/analysis-buckets/{id}", "DELETE", analyses.delete_analysis_bucket, False),
    ("/analysis-bucket-files", "GET", analyses.list_analysis_bucket_files, False),
    ("/analysis-bucket-files", "POST", analyses.create_analysis_bucket_file, False),
    ("/analysis-bucket-files/{id}", "GET", analyses.read_analysis_bucket_file, False),
    ("/analysis-bucket-files/{id}", "POST", analyses.update_analysis_bucket_file, False),
    ("/analysis-bucket-files/{id}", "DELETE", analyses.delete_analysis_bucket_file, False),
    ("/analysis-node-events", "GET", analyses.list_analysis_node_events, False),
    ("/analysis-node-events/{id}", "GET", analyses.read_analysis_node_event, False),
    ("/analysis-logs", "GET", analyses.list_analysis_logs, False),
    ("/analysis-logs", "DELETE", analyses.delete_analysis_logs, False),
    ("/analysis-node-logs", "GET", analyses.list_analysis_node_logs, False),
    ("/analysis-node-logs", "POST", analyses.create_analysis_node_log, False),
    ("/analysis-node-logs", "DELETE", analyses.delete_analysis_node_logs, False),
    ("/master-images", "GET", list_master_images, False),
    ("/master-images/command", "POST", run_master_image_command, False),
    ("/master-images/{id}", "GET", read_master_image, False),
    ("/master-images/{id}", "DELETE", delete_master_image, False),
    ("/master-image-groups", "GET", list_master_image_groups, False),
    ("/master-image-groups/{id}", "GET", read_master_image_group, False),
    ("/master-image-groups/{id}", "DELETE", delete_master_image_group, False),
    ("/services/{service}/command", "POST", run_service_command, False),
    ("/services/{service}/hook", "POST", receive_service_hook, False),
]


def build_core_app(state: HubState) -> ASGIApp:
    """Return the ASGI app of the core service, mounted at /core."""
    from ._server import not_found

    routes = [
        Route(path, endpoint(state, public=public)(handler), methods=[method])
        for path, method, handler, public in _ROUTES
    ]
    router = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # The Hub introspects a bearer token before routing, so a dead token fails even on unknown routes.
        if scope["type"] == "http":
            request = Request(scope)
            if state.bearer_token(request) is not None:
                try:
                    state.hub_identity(request)
                except FakeHubError as error:
                    await hub_error_response(error)(scope, receive, send)
                    return
        await router(scope, receive, send)

    return app
