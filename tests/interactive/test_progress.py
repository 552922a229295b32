"""Progress bars: drawn by tqdm when asked or in a terminal, silent otherwise, and optional."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest

from flame_hub._progress import ProgressReader, progress_bar, progress_enabled
from flame_hub.models import Bucket, Node

pytest.importorskip("tqdm")


def make_nodes(count):
    return [Node.objects.create(name=f"lab-{index}") for index in range(count)]


def test_update_draws_bar_when_asked(session, capsys):
    make_nodes(3)

    updated = Node.objects.filter(name__startswith="lab-").update(hidden=True, progress=True)

    err = capsys.readouterr().err
    assert updated == 3
    assert "Updating nodes" in err
    assert "3/3" in err
    assert all(node.hidden for node in Node.objects.filter(name__startswith="lab-"))


def test_iterator_draws_bar_with_slice_total(session, capsys):
    make_nodes(4)

    names = [node.name for node in Node.objects.order_by("name")[:3].iterator(progress=True)]

    err = capsys.readouterr().err
    assert names == ["lab-0", "lab-1", "lab-2"]
    assert "Reading nodes" in err
    assert "3/3" in err


def test_no_bar_when_output_not_terminal(session, capsys):
    make_nodes(2)

    Node.objects.filter(name__startswith="lab-").update(hidden=True)
    list(Node.objects.all().iterator())

    assert capsys.readouterr().err == ""
    assert progress_enabled(None) is False


def test_no_bar_when_turned_off(session, capsys):
    make_nodes(2)

    Node.objects.filter(name__startswith="lab-").update(hidden=True, progress=False)

    assert capsys.readouterr().err == ""
    assert progress_enabled(False) is False


def test_reader_counts_uploaded_bytes(session, tmp_path, capsys):
    bucket = Bucket.objects.create(name="bucket-1")
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n" * 5000)

    with progress_bar(path.stat().st_size, description="Uploading", unit="B", progress=True) as bar:
        with open(path, "rb") as handle:
            [uploaded] = bucket.upload(("data.csv", ProgressReader(handle, bar)))
        counted = bar.n

    assert counted == 20000
    assert uploaded.size == 20000
    assert uploaded.read() == path.read_bytes()
    assert "Uploading" in capsys.readouterr().err


def test_reader_seek_moves_bar():
    with progress_bar(10, description="Reading", progress=False) as bar:
        reader = ProgressReader(io.BytesIO(b"0123456789"), bar)
        reader.read(6)
        reader.seek(2)

        assert bar.n == 2
        assert reader.read() == b"23456789"
        assert bar.n == 10


def test_library_works_without_tqdm(fake_hub):
    # A None entry in sys.modules makes "import tqdm" fail, as when the extra is not installed.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["tqdm"] = None
        from flame_hub import Session
        from flame_hub.auth import PasswordAuth
        from flame_hub.models import Node

        with Session(sys.argv[1], auth=PasswordAuth("admin", "start123")) as session:
            Node.objects.using(session).create(name="lab-1")
            count = Node.objects.using(session).filter(name="lab-1").update(hidden=True, progress=True)
            rows = list(Node.objects.using(session).filter(name="lab-1").iterator(progress=True))
        print(count, len(rows), rows[0].hidden)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, fake_hub.url],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1", "True"]
    assert result.stderr == ""
