"""Progress bars of Bucket.upload(), BucketFile.download() and Bucket.download_tarball()."""

import io

import pytest

from flame_hub.models import Bucket

pytest.importorskip("tqdm")


@pytest.fixture
def bucket(hub_session):
    created = Bucket(name="progress-bucket")
    created.save()
    return created


def test_upload_progress_counts_bytes(bucket, capsys):
    payload = b"x" * 300_000

    files = bucket.upload(("data/big.bin", payload), ("small.txt", io.BytesIO(b"hello")), progress=True)

    assert [file.path for file in files] == ["data/big.bin", "small.txt"]
    stderr = capsys.readouterr().err
    assert "Uploading to progress-bucket" in stderr
    assert "293k/293k" in stderr


def test_upload_progress_off_prints_nothing(bucket, capsys):
    bucket.upload(("quiet.bin", b"abc"), progress=False)

    assert capsys.readouterr().err == ""


def test_download_progress_counts_bytes(bucket, tmp_path, capsys):
    (uploaded,) = bucket.upload(("report.bin", b"y" * 200_000), progress=False)

    written = uploaded.download(tmp_path / "report.bin", progress=True)

    assert written == 200_000
    assert (tmp_path / "report.bin").read_bytes() == b"y" * 200_000
    assert "195k/195k" in capsys.readouterr().err


def test_tarball_progress_and_content(bucket, capsys):
    bucket.upload(("a.txt", b"alpha"), progress=False)
    target = io.BytesIO()

    written = bucket.download_tarball(target, progress=True)

    assert written == len(target.getvalue())
    assert written > 0
    assert "Downloading progress-bucket.tar" in capsys.readouterr().err
