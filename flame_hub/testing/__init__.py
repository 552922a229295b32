"""An in-memory FLAME Hub served over real HTTP on 127.0.0.1, for this library's tests and yours.

Needs the optional extra: ``pip install "flame-hub[fake]"``. The names below are imported on
first use, so the command line can register ``flame-hub fake-hub`` without that extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._errors import FakeHubError
    from ._server import FakeHub, Fault, RecordedRequest
    from ._state import HubState, Identity

__all__ = ["FakeHub", "FakeHubError", "Fault", "HubState", "Identity", "RecordedRequest"]

_MODULE_OF = {
    "FakeHub": "._server",
    "Fault": "._server",
    "RecordedRequest": "._server",
    "FakeHubError": "._errors",
    "HubState": "._state",
    "Identity": "._state",
}


def __getattr__(name: str) -> Any:
    module_name = _MODULE_OF.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
