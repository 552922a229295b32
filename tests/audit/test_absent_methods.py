"""Resources without a Hub route for an operation lack the instance method instead of failing when called."""

from __future__ import annotations

import pytest

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import RESOURCES, AnalysisNodeEvent, MasterImage, Node, UnsupportedOperation, UserRole

METHOD_OPERATIONS = {"save": ("create", "update"), "delete": ("delete",), "refresh": ("get",)}


@pytest.mark.parametrize("model", RESOURCES, ids=lambda model: model.__name__)
def test_methods_follow_declared_operations(model):
    obj = model.model_validate({"id": "0dd7b864-98d0-4302-a601-bc4a6121cf14"})
    for method, operations in METHOD_OPERATIONS.items():
        supported = any(model._meta.supports(operation) for operation in operations)
        assert hasattr(obj, method) is supported, f"{model.__name__}.{method}"
        assert (method in dir(obj)) is supported, f"{model.__name__}.{method} in dir()"


def test_read_only_resource_has_no_save(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as session:
        image = MasterImage.objects.using(session).first()
        fake_hub.clear_requests()

        assert image is not None
        assert not hasattr(image, "save")
        with pytest.raises(UnsupportedOperation, match=r"MasterImage has no save\(\) method.*'update'"):
            image.save()
        with pytest.raises(AttributeError):
            image.save()
        assert fake_hub.requests == []
        # The operations the Hub has stay available.
        image.refresh()
        assert len(fake_hub.requests_to(f"/core/master-images/{image.id}", "GET")) == 1


def test_event_has_no_write_methods():
    event = AnalysisNodeEvent.model_validate({"id": "0dd7b864-98d0-4302-a601-bc4a6121cf14"})

    for method in ("save", "delete"):
        with pytest.raises(UnsupportedOperation, match=f"AnalysisNodeEvent has no {method}"):
            getattr(event, method)
    assert callable(event.refresh)


def test_create_only_resource_keeps_save():
    assert callable(UserRole().save)
    assert callable(Node(name="lab-1").save)
