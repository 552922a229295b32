"""String enums for the values the Hub accepts in enumerated fields."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "AnalysisBucketType",
    "AnalysisCommand",
    "ApprovalStatus",
    "ClientAuthMethod",
    "ImageArgumentPosition",
    "LogChannel",
    "LogLevel",
    "NodeType",
    "ProcessStatus",
    "RealmScope",
    "RegistryCommand",
    "RegistryProjectType",
]


class _StrEnum(str, Enum):
    """A ``str`` enum whose ``str()`` is its wire value (``enum.StrEnum`` needs Python 3.11)."""

    def __str__(self) -> str:
        return str(self.value)


class NodeType(_StrEnum):
    DEFAULT = "default"
    AGGREGATOR = "aggregator"


class ProcessStatus(_StrEnum):
    STARTING = "starting"
    STARTED = "started"
    STOPPING = "stopping"
    STOPPED = "stopped"
    EXECUTING = "executing"
    EXECUTED = "executed"
    FAILED = "failed"


class ApprovalStatus(_StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class AnalysisBucketType(_StrEnum):
    CODE = "CODE"
    RESULT = "RESULT"
    TEMP = "TEMP"


class RegistryProjectType(_StrEnum):
    DEFAULT = "default"
    AGGREGATOR = "aggregator"
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    MASTER_IMAGES = "masterImages"
    NODE = "node"


class ImageArgumentPosition(_StrEnum):
    BEFORE = "before"
    AFTER = "after"


class LogLevel(_StrEnum):
    EMERG = "emerg"
    ALERT = "alert"
    CRIT = "crit"
    ERROR = "error"
    WARN = "warn"
    NOTICE = "notice"
    INFO = "info"
    DEBUG = "debug"


class LogChannel(_StrEnum):
    HTTP = "http"
    WEBSOCKET = "websocket"
    BACKGROUND = "background"
    SYSTEM = "system"


class RealmScope(_StrEnum):
    NONE = "none"
    OWN = "own"
    OWN_OR_NULL = "ownOrNull"
    ANY = "any"


class ClientAuthMethod(_StrEnum):
    NONE = "none"
    SECRET = "secret"
    TLS = "tls"


class AnalysisCommand(_StrEnum):
    CONFIGURATION_LOCK = "configurationLock"
    CONFIGURATION_UNLOCK = "configurationUnlock"
    BUILD_START = "buildStart"
    BUILD_CHECK = "buildCheck"
    DISTRIBUTION_START = "distributionStart"
    DISTRIBUTION_CHECK = "distributionCheck"
    STORAGE_CHECK = "storageCheck"


class RegistryCommand(_StrEnum):
    SETUP = "setup"
    CLEANUP = "cleanup"
    DELETE = "delete"
    PROJECT_LINK = "projectLink"
    PROJECT_UNLINK = "projectUnlink"


# Names of the official client's ``flame_hub.types``, so scripts written for it keep importing.
from flame_hub._compat_types import *  # noqa: E402, F403
from flame_hub._compat_types import __all__ as _compat_all  # noqa: E402

__all__ += _compat_all
