"""Names of the official flame-hub-client's ``flame_hub.types`` that scripts import, for the functional clients.

``flame_hub.types`` re-exports every name listed in ``__all__`` here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import Enum
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, TypedDict, TypeVar, Union

if TYPE_CHECKING:
    from flame_hub.auth import Auth

__all__ = [
    "UNSET",
    "UNSET_T",
    "AnalysisNodeApprovalStatus",
    "AuthParam",
    "BaseKwargs",
    "FieldParams",
    "FilterOperator",
    "FilterParams",
    "FindAllKwargs",
    "GetKwargs",
    "IncludeParams",
    "MasterImageCommandArgument",
    "PageParams",
    "ProjectNodeApprovalStatus",
    "ReadableBinary",
    "ResourceListResult",
    "ResourceT",
    "SingleResourceResult",
    "SortParams",
    "UploadFile",
    "UuidIdentifiable",
]


class FilterOperator(str, Enum):
    """Operators of the Hub's bracket filters, as the official client names them.

    ``like`` sends ``~value``, which the current Hub (rapiq 2) reads as *ends with*, not as a
    substring match. Write ``{"name__contains": "x"}`` for a substring match.
    """

    eq = "="
    neq = "!"
    like = "~"
    lt = "<"
    le = "<="
    gt = ">"
    ge = ">="


class _Unset:
    """Marker for "argument not passed", so that ``None`` can mean "set the field to null"."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset()
UNSET_T = _Unset


class PageParams(TypedDict, total=False):
    """A page of a list: ``limit`` rows after skipping ``offset`` rows."""

    limit: int
    offset: int


class SortParams(TypedDict, total=False):
    """One sort key: the field name ``by`` and the ``order``, ascending unless given."""

    by: str
    order: Literal["ascending", "descending"]


# A field name (snake_case or camelCase, optionally with an ORM ``__lookup`` suffix) mapped to a
# value (equality) or to an ``(operator, value)`` pair.
FilterParams = dict[str, Any]
IncludeParams = str | Iterable[str]
FieldParams = str | Iterable[str]

AuthParam = Union["Auth", str, None]  # noqa: UP007

ResourceT = TypeVar("ResourceT")

# A record given by its model object, ``uuid.UUID`` or UUID string.
UuidIdentifiable = Any | uuid.UUID | str

SingleResourceResult = Union[ResourceT, tuple[ResourceT, Any], None]  # noqa: UP007
ResourceListResult = Union[list[ResourceT], tuple[list[ResourceT], Any]]  # noqa: UP007

ProjectNodeApprovalStatus = Literal["approved", "rejected"]
AnalysisNodeApprovalStatus = Literal["approved", "rejected"]


class BaseKwargs(TypedDict, total=False):
    """Keyword arguments that every method of the functional clients accepts; ``auth`` must be ``None``."""

    auth: AuthParam


class GetKwargs(BaseKwargs, total=False):
    """Keyword arguments of ``get_<name>`` and ``get_<names>``."""

    fields: FieldParams | None
    include: IncludeParams | None
    meta: bool


class FindAllKwargs(GetKwargs, total=False):
    """Keyword arguments of ``find_<names>``."""

    filter: FilterParams | None
    page: PageParams | None
    sort: SortParams | None


class _MasterImageCommandArgumentRequired(TypedDict):
    value: str


class MasterImageCommandArgument(_MasterImageCommandArgumentRequired, total=False):
    """One argument of a master image's command, placed ``before`` or ``after`` the entrypoint."""

    position: Literal["before", "after"] | None


class ReadableBinary(Protocol):
    """Anything with a ``read()`` method that returns bytes."""

    def read(self, size: int = -1) -> bytes: ...


class _UploadFileRequired(TypedDict):
    file_name: str
    content: bytes | str | IO[bytes] | ReadableBinary


class UploadFile(_UploadFileRequired, total=False):
    """One file for ``StorageClient.upload_to_bucket``; ``content_type`` defaults to ``application/octet-stream``."""

    content_type: str
