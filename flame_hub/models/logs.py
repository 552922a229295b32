"""Log records of analyses and analysis nodes (``/core/analysis-logs``, ``/core/analysis-node-logs``).

The Hub reads and deletes logs only with equality filters on ``analysis_id`` (and ``node_id``
for node logs), optionally with ``level``. Other lookups raise before a request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import model_validator

from flame_hub._queryset import Manager, QuerySet
from flame_hub.models._base import LogChannelValue, LogLevelValue, Model, Relation

__all__ = ["AnalysisLog", "AnalysisNodeLog", "Log", "LogQuerySet"]


class LogQuerySet(QuerySet[Any]):
    """A QuerySet of log records: equality filters only, and ``delete()`` is one bulk request."""

    def _add_conditions(self, kwargs: Mapping[str, Any], *, negate: bool, call: str) -> QuerySet[Any]:
        for key in kwargs:
            _, _, lookup = key.partition("__")
            if negate or lookup not in ("", "exact"):
                raise ValueError(
                    f"{self.model.__name__} lists accept only equality filters such as analysis_id=..., "
                    f"got {call}({key}=...)."
                )
        return super()._add_conditions(kwargs, negate=negate, call=call)

    def delete(self) -> int:
        """Delete every log record matching the filters in one request; return how many there were just before."""
        meta = self.model._meta
        meta.require("delete")
        if self._low or self._high is not None:
            raise TypeError("Cannot delete a slice of log records; the Hub deletes all records matching the filters.")

        total = self.count()
        params = [(condition.key, condition.value) for condition in self._conditions]
        self._get_session().request_json(meta.service, "DELETE", meta.path, params=params)
        return total


class LogManager(Manager[Any]):
    queryset_class = LogQuerySet


class Log(Model):
    """A log record from the Hub's telemetry: ``time``, ``level``, ``message`` and string ``labels``."""

    time: dt.datetime | None = None
    level: LogLevelValue = None
    message: str | None = None
    service: str | None = None
    channel: LogChannelValue = None
    labels: dict[str, str] | None = None
    analysis_id: str | None = None
    node_id: str | None = None

    _records_have_ids: ClassVar[bool] = False

    @model_validator(mode="after")
    def _ids_from_labels(self) -> Log:
        # The Hub returns the ids only as labels; copy them to the fields used for filtering.
        labels = self.__dict__.get("labels") or {}
        for name, label in (("analysis_id", "analysisId"), ("node_id", "nodeId")):
            if self.__dict__.get(name) is None and labels.get(label):
                self.__dict__[name] = labels[label]
        return self

    def __hash__(self) -> int:
        return object.__hash__(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class AnalysisLog(Log):
    """A log record of an analysis; list with ``AnalysisLog.objects.filter(analysis=...)``."""

    class Meta:
        service = "core"
        path = "analysis-logs"
        singular = "analysis_log"
        plural = "analysis_logs"
        operations = ("list", "delete")
        filters = ("analysis_id", "level")
        required_filters = ("analysis_id",)
        sorts = ("time",)
        manager = LogManager
        repr_fields = ("time", "level", "message")

    analysis = Relation("analysis_id", "Analysis")


class AnalysisNodeLog(Log):
    """A log record of a node in an analysis; nodes write them with ``AnalysisNodeLog.objects.create(...)``."""

    class Meta:
        service = "core"
        path = "analysis-node-logs"
        singular = "analysis_node_log"
        plural = "analysis_node_logs"
        operations = ("list", "create", "delete")
        create_only = ("analysis_id", "node_id", "level", "message", "status", "code", "labels")
        required = ("analysis_id", "node_id", "level", "message")
        filters = ("analysis_id", "node_id", "level")
        required_filters = ("analysis_id", "node_id")
        sorts = ("time",)
        manager = LogManager
        limits = {"message": (3, 2048), "status": (3, 64), "code": (3, 64)}
        repr_fields = ("time", "level", "message")

    status: str | None = None
    code: str | None = None

    analysis = Relation("analysis_id", "Analysis")
    node = Relation("node_id", "Node")
