"""flame-hub: work with a FLAME Hub's auth, core and storage services as Python objects."""

__version__ = "0.1.0.dev0"
# The version as a tuple, as the official flame-hub-client offers it: (0, 1, 0, "dev0").
__version_info__ = tuple(int(part) if part.isdigit() else part for part in __version__.split("."))

from . import auth, errors, models, types
from ._clients import AuthClient, CoreClient, StorageClient, get_field_names, get_includable_names
from ._session import Session, connect, get_default_session
from ._transport import Retry
from .errors import (
    AuthenticationError,
    BadRequest,
    ConfigurationError,
    Conflict,
    HubAPIError,
    HubError,
    MultipleObjectsReturned,
    NotFound,
    ObjectDoesNotExist,
    PermissionDenied,
    RateLimited,
    ServerError,
    Timeout,
    TransportError,
    Unauthorized,
)

__all__ = [
    "AuthClient",
    "AuthenticationError",
    "BadRequest",
    "ConfigurationError",
    "Conflict",
    "CoreClient",
    "HubAPIError",
    "HubError",
    "MultipleObjectsReturned",
    "NotFound",
    "ObjectDoesNotExist",
    "PermissionDenied",
    "RateLimited",
    "Retry",
    "ServerError",
    "Session",
    "StorageClient",
    "Timeout",
    "TransportError",
    "Unauthorized",
    "__version__",
    "__version_info__",
    "auth",
    "connect",
    "errors",
    "get_default_session",
    "get_field_names",
    "get_includable_names",
    "models",
    "types",
]
