"""Bucket uploads from a plain str path, broken downloads, and the lazy='raise' hint for relations."""

import pytest

import flame_hub
from flame_hub.auth import PasswordAuth
from flame_hub.models import Bucket, Node, RelationNotLoaded


@pytest.fixture
def bucket(hub_session):
    created = Bucket(name="edge-bucket")
    created.save()
    return created


def test_upload_plain_str_path(bucket, tmp_path, monkeypatch):
    (tmp_path / "data.csv").write_bytes(b"a,b\n1,2\n")
    monkeypatch.chdir(tmp_path)

    (uploaded,) = bucket.upload("data.csv")

    assert uploaded.path == "data.csv"
    assert uploaded.read() == b"a,b\n1,2\n"


def test_dropped_download_raises_transport_error(bucket, fake_hub):
    (uploaded,) = bucket.upload(("report.bin", b"z" * 1000))
    fake_hub.add_fault("GET", f"/storage/bucket-files/{uploaded.id}/stream", drop=True)

    with pytest.raises(flame_hub.TransportError, match="start the download again") as caught:
        uploaded.read()

    assert caught.value.url.endswith(f"/bucket-files/{uploaded.id}/stream")


def test_lazy_raise_names_prefetch_only(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth("admin", "start123"), lazy="raise") as session:
        Node.objects.using(session).create(name="strict-node")
        session.clear()
        node = Node.objects.using(session).get(name="strict-node")

        with pytest.raises(RelationNotLoaded) as caught:
            node.realm  # noqa: B018

    assert ".prefetch('realm')" in str(caught.value)
    assert ".include(" not in str(caught.value)
