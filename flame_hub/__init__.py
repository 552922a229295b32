"""flame-hub: work with a FLAME Hub's auth, core and storage services as Python objects."""

__version__ = "0.1.0.dev0"

from . import auth, errors
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
    "AuthenticationError",
    "BadRequest",
    "ConfigurationError",
    "Conflict",
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
    "Timeout",
    "TransportError",
    "Unauthorized",
    "__version__",
    "auth",
    "connect",
    "errors",
    "get_default_session",
]
