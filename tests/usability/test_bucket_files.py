"""Uploads reject str data, explain the Hub's 500 for a path that exists, and download('-') is rejected."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import flame_hub
from flame_hub import StorageClient
from flame_hub.auth import PasswordAuth
from flame_hub.models import Bucket


@pytest.fixture
def bucket(hub_session):
    return Bucket.objects.create(name="usability-files")


def test_upload_rejects_str_in_tuple(bucket, tmp_path):
    private = tmp_path / "private.txt"
    private.write_text("private content\n")

    with pytest.raises(TypeError) as info:
        bucket.upload(("comment.txt", str(private)))

    assert "text.encode()" in str(info.value)
    assert "pathlib.Path" in str(info.value)
    assert bucket.files.count() == 0


def test_upload_rejects_str_in_dict(bucket):
    with pytest.raises(TypeError) as info:
        bucket.upload({"note.txt": "some text"})

    assert "'note.txt'" in str(info.value)


def test_upload_path_object_in_tuple(bucket, tmp_path):
    local = tmp_path / "local.csv"
    local.write_bytes(b"a,b\n")

    [uploaded] = bucket.upload(("copy.csv", local))

    assert uploaded.read() == b"a,b\n"


def test_functional_upload_encodes_text(fake_hub, bucket):
    auth = PasswordAuth("admin", "start123", base_url=f"{fake_hub.url}/auth/")
    client = StorageClient(base_url=f"{fake_hub.url}/storage/", auth=auth)

    [uploaded] = client.upload_to_bucket(bucket.id, {"file_name": "note.txt", "content": "plain text"})

    assert client.stream_bucket_file(uploaded.id).__next__() == b"plain text"


def test_second_upload_same_path_hint(bucket):
    bucket.upload(("dir/data.csv", b"old"))

    with pytest.raises(flame_hub.ServerError) as info:
        bucket.upload(("dir/data.csv", b"new"))

    assert "'dir/data.csv'" in str(info.value)
    assert "delete the old file first" in str(info.value)
    assert "bucket.files.get(name='data.csv', directory='dir')" in str(info.value)
    assert info.value.status_code == 500


def test_delete_then_upload_again(bucket):
    bucket.upload(("data.csv", b"old"))

    bucket.files.get(name="data.csv", directory=".").delete()
    [uploaded] = bucket.upload(("data.csv", b"new"))

    assert uploaded.read() == b"new"


def test_download_dash_rejected(bucket, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    [uploaded] = bucket.upload(("a.txt", b"alpha"))

    with pytest.raises(ValueError) as info:
        uploaded.download("-")

    assert "sys.stdout.buffer" in str(info.value)
    assert not Path("-").exists()


def test_download_to_binary_file(bucket):
    [uploaded] = bucket.upload(("a.txt", b"alpha"))
    target = io.BytesIO()

    assert uploaded.download(target) == 5
    assert target.getvalue() == b"alpha"
