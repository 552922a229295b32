"""An in-memory FLAME Hub served over real HTTP on 127.0.0.1, for this library's tests and yours.

Needs the optional extra: ``pip install "flame-hub[fake]"``.
"""

from ._errors import FakeHubError
from ._server import FakeHub, Fault, RecordedRequest
from ._state import HubState, Identity

__all__ = ["FakeHub", "FakeHubError", "Fault", "HubState", "Identity", "RecordedRequest"]
