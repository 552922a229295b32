"""The resource commands of ``flame-hub`` run as subprocesses against the fake Hub: output, exit statuses, help."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import tarfile

import pytest
from _interactive_helpers import COMMAND_TIMEOUT, FLAME_HUB_SCRIPT, read_until, run_cli

from flame_hub.cli import build_parser, main
from flame_hub.models import Bucket, Client, Node, Project, Realm, Role

NODE_COLUMNS = ["ID", "NAME", "REALM_ID", "CREATED_AT"]


def table(output):
    """Return the rows of a table printed by ``flame-hub`` as lists of cells (the header first)."""
    return [line.split() for line in output.splitlines()]


# -- list ----------------------------------------------------------------------------------------------


def test_list_filters_orders_limits(fake_hub, session, cli_env):
    for name in ("lab-1", "lab-3", "lab-2", "other-1"):
        Node.objects.create(name=name)

    result = run_cli(cli_env, "list", "nodes", "--filter", "name__startswith=lab-", "--order", "-name", "--limit", "2")

    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert rows[0] == NODE_COLUMNS
    assert [row[1] for row in rows[1:]] == ["lab-3", "lab-2"]


def test_list_sends_descending_sort(fake_hub, session, cli_env):
    Node.objects.create(name="lab-1")
    fake_hub.clear_requests()

    result = run_cli(cli_env, "list", "nodes", "--order", "-created_at", "--limit", "20")

    assert result.returncode == 0, result.stderr
    [request] = fake_hub.requests_to("/core/nodes", "GET")
    assert ("sort", "-createdAt") in request.query_params
    assert ("page[limit]", "20") in request.query_params


def test_list_json_format(session, cli_env):
    node = Node.objects.create(name="lab-1", hidden=True)

    result = run_cli(cli_env, "list", "node", "--filter", "hidden=true", "--format", "json")

    assert result.returncode == 0, result.stderr
    [record] = json.loads(result.stdout)
    assert record["id"] == node.id
    assert record["name"] == "lab-1"
    assert record["hidden"] is True


def test_list_filter_relation_by_name(session, cli_env):
    other = Realm.objects.create(name="other-realm")
    Node.objects.create(name="lab-1")
    Node.objects.create(name="lab-2", realm=other)

    result = run_cli(cli_env, "list", "nodes", "--filter", "realm=other-realm", "--columns", "name,realm_id")

    assert result.returncode == 0, result.stderr
    assert table(result.stdout) == [["NAME", "REALM_ID"], ["lab-2", other.id]]


def test_list_empty_says_so(cli_env):
    result = run_cli(cli_env, "list", "projects")

    assert result.returncode == 0
    assert result.stdout == ""
    assert "No projects found." in result.stderr


# -- get, create, update, delete ---------------------------------------------------------------------------


def test_get_by_id_and_name(session, cli_env):
    node = Node.objects.create(name="lab-1")

    by_id = run_cli(cli_env, "get", "node", node.id)
    by_name = run_cli(cli_env, "get", "node", "lab-1", "--format", "json")

    assert by_id.returncode == 0, by_id.stderr
    assert ["name", "lab-1"] in table(by_id.stdout)
    assert ["id", node.id] in table(by_id.stdout)
    assert json.loads(by_name.stdout)["id"] == node.id


def test_get_ambiguous_name_exits_2(session, cli_env):
    other = Realm.objects.create(name="other-realm")
    Role.objects.create(name="reader")
    Role.objects.create(name="reader", realm=other)

    result = run_cli(cli_env, "get", "role", "reader")

    assert result.returncode == 2
    assert "flame-hub: error: Several roles are named 'reader'; give the id instead." in result.stderr


def test_table_keeps_multiline_value_on_one_row(session, cli_env):
    project = Project.objects.create(name="proj-1", description="line one\nline two")

    result = run_cli(cli_env, "get", "project", project.id)

    assert result.returncode == 0, result.stderr
    assert ["description", "line", "one\\nline", "two"] in table(result.stdout)


def test_get_missing_exits_1(cli_env):
    result = run_cli(cli_env, "get", "node", "no-such-node")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("flame-hub: error: No Node has the id or name 'no-such-node'.")


def test_create_resolves_relation_names(fake_hub, session, cli_env):
    master = Realm.objects.get(name="master")

    result = run_cli(cli_env, "create", "node", "name=lab-2", "realm=master", "--format", "json")

    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["name"] == "lab-2"
    assert created["realm_id"] == master.id
    [request] = fake_hub.requests_to("/core/nodes", "POST")
    assert request.body == {"name": "lab-2", "realmId": master.id}


def test_update_sets_boolean(session, cli_env):
    node = Node.objects.create(name="lab-1")

    result = run_cli(cli_env, "update", "node", node.id, "hidden=true")

    assert result.returncode == 0, result.stderr
    assert ["hidden", "True"] in table(result.stdout)
    node.refresh()
    assert node.hidden is True


def test_delete_removes_record(session, cli_env):
    node = Node.objects.create(name="lab-1")

    result = run_cli(cli_env, "delete", "node", "lab-1")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Deleted node {node.id}.\n"
    session.clear()
    assert Node.objects.get_or_none(node.id) is None


# -- upload and download -----------------------------------------------------------------------------------


def test_upload_then_download(session, cli_env, tmp_path):
    Bucket.objects.create(name="bucket-1")
    first = tmp_path / "data.csv"
    first.write_bytes(b"a,b\n1,2\n" * 1000)
    second = tmp_path / "notes.txt"
    second.write_text("hello\n")

    uploaded = run_cli(cli_env, "upload", "bucket-1", str(first), str(second), "--format", "json")

    assert uploaded.returncode == 0, uploaded.stderr
    files = {record["path"]: record for record in json.loads(uploaded.stdout)}
    assert sorted(files) == ["data.csv", "notes.txt"]
    assert files["data.csv"]["size"] == 8000

    target = tmp_path / "copy.csv"
    downloaded = run_cli(cli_env, "download", files["data.csv"]["id"], "-o", str(target))
    assert downloaded.returncode == 0, downloaded.stderr
    assert target.read_bytes() == first.read_bytes()
    assert f"Wrote 8000 bytes to {target}." in downloaded.stderr

    to_stdout = run_cli(cli_env, "download", files["notes.txt"]["id"], "-o", "-")
    assert to_stdout.stdout == "hello\n"


def test_download_into_directory(session, cli_env, tmp_path):
    bucket = Bucket.objects.create(name="bucket-1")
    [bucket_file] = bucket.upload(("report.txt", b"done"))
    target = tmp_path / "out"
    target.mkdir()

    result = run_cli(cli_env, "download", bucket_file.id, "-o", str(target))

    assert result.returncode == 0, result.stderr
    assert (target / "report.txt").read_bytes() == b"done"


def test_tarball_of_bucket(session, cli_env, tmp_path):
    bucket = Bucket.objects.create(name="bucket-1")
    bucket.upload(("a.txt", b"first"), ("docs/b.txt", b"second"))
    target = tmp_path / "bucket.tar"

    result = run_cli(cli_env, "tarball", "bucket-1", "-o", str(target))

    assert result.returncode == 0, result.stderr
    with tarfile.open(target) as archive:
        contents = {member.name: archive.extractfile(member).read() for member in archive.getmembers()}
    assert contents == {"a.txt": b"first", "docs/b.txt": b"second"}
    assert f"Wrote {target.stat().st_size} bytes to {target}." in result.stderr


def test_upload_missing_file_exits_2(session, cli_env, tmp_path):
    Bucket.objects.create(name="bucket-1")

    result = run_cli(cli_env, "upload", "bucket-1", str(tmp_path / "absent.csv"))

    assert result.returncode == 2
    assert f"Cannot upload '{tmp_path / 'absent.csv'}': it is not a file." in result.stderr


# -- errors and exit statuses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "widgets"], "Unknown resource 'widgets'; resources: analyses,"),
        (["list", "nodes", "--filter", "bogus=1"], "Node cannot be filtered by 'bogus'"),
        (["list", "nodes", "--filter", "hidden=maybe"], "hidden: 'maybe' is not a boolean; use true or false."),
        (["list", "nodes", "--filter", "name"], "Filter 'name' is not of the form NAME=VALUE."),
        (["list", "nodes", "--order", "bogus"], "Node cannot be sorted by 'bogus'"),
        (["list", "nodes", "--columns", "secret_thing"], "Unknown column 'secret_thing' for Node"),
        (["create", "node", "name=x"], "Node.name must have 3 to 128 characters, got 1"),
        (["create", "node", "colour=red"], "Node has no field 'colour'; fields you can set:"),
        (["create", "node", "name=lab-1", "online=true"], "Node.online is set by the Hub and cannot be changed."),
        (["update", "bucket", "bucket-1", "name=b"], "The Hub cannot update buckets; it supports:"),
        (["update", "node", "lab-1"], "Nothing to update: give at least one NAME=VALUE."),
        (["list", "nodes", "--limit", "-1"], "--limit -1 is invalid"),
    ],
)
def test_usage_errors_exit_2(cli_env, args, message):
    result = run_cli(cli_env, *args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("flame-hub: error: ")
    assert message in result.stderr


def test_argparse_error_exits_2(cli_env):
    result = run_cli(cli_env, "get", "node")

    assert result.returncode == 2
    assert "the following arguments are required: ID" in result.stderr


def test_password_prompted_in_terminal(cli_env):
    del cli_env["FLAME_HUB_PASSWORD"]
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(FLAME_HUB_SCRIPT), "list", "realms"], stdin=terminal, stdout=terminal, stderr=terminal, env=cli_env
    )
    os.close(terminal)
    try:
        prompt = read_until(controller, b"Password for admin at ", COMMAND_TIMEOUT)
        os.write(controller, b"start123\r")
        output = read_until(controller, b"master", COMMAND_TIMEOUT)
        process.wait(timeout=COMMAND_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)

    assert prompt.startswith(b"Password for admin at http://127.0.0.1:")
    assert b"start123" not in output
    assert b"master" in output
    assert process.returncode == 0


def test_missing_url_exits_2(cli_env):
    del cli_env["FLAME_HUB_URL"]

    result = run_cli(cli_env, "list", "nodes")

    assert result.returncode == 2
    assert "No Hub URL: pass --url, set FLAME_HUB_URL" in result.stderr


def test_wrong_password_exits_1(cli_env):
    result = run_cli(cli_env, "list", "nodes", "--password", "wrong-pass-31")

    assert result.returncode == 1
    assert "Login of user 'admin'" in result.stderr
    assert "wrong-pass-31" not in result.stderr


def test_hub_error_exits_1(fake_hub, cli_env):
    fake_hub.add_fault("GET", "/core/nodes", status=403)

    result = run_cli(cli_env, "list", "nodes")

    assert result.returncode == 1
    assert "flame-hub: error: Fault injected by the test. [403 fault_injected]" in result.stderr


# -- connection options --------------------------------------------------------------------------------------


def test_options_override_environment(fake_hub, cli_env):
    cli_env.update(FLAME_HUB_URL="http://127.0.0.1:9", FLAME_HUB_PASSWORD="wrong-pass-31")

    result = run_cli(cli_env, "list", "realms", "--url", fake_hub.url, "--password", fake_hub.admin_password)

    assert result.returncode == 0, result.stderr
    assert table(result.stdout)[1][1] == "master"


def test_client_credentials_options(fake_hub, cli_env):
    del cli_env["FLAME_HUB_USERNAME"]

    result = run_cli(cli_env, "list", "realms", "--client-id", "system", "--client-secret", "start123", "-v")

    assert result.returncode == 0, result.stderr
    assert "client 'system'" in result.stderr
    [login] = fake_hub.requests_to("/auth/token", "POST")
    assert login.body["grant_type"] == "client_credentials"


def test_token_option(fake_hub, cli_env):
    token = fake_hub.issue_admin_token()

    result = run_cli(cli_env, "list", "realms", "--token", token, "-v")

    assert result.returncode == 0, result.stderr
    assert fake_hub.requests_to("/auth/token", "POST") == []
    assert token not in result.stderr


def test_verbose_logs_each_request(fake_hub, cli_env):
    result = run_cli(cli_env, "list", "realms", "-v")

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("flame-hub: GET ")]
    assert len(lines) == 1
    assert f"GET {fake_hub.url}/auth/realms?" in lines[0]
    assert " -> 200 (" in lines[0]
    assert lines[0].endswith(" ms)")


def test_secret_fields_never_printed(session, cli_env):
    client = Client.objects.create(name="svc-client", secret="client-secret-9d1e")

    result = run_cli(cli_env, "get", "client", client.id, "--fields", "secret", "--format", "json")
    table_result = run_cli(cli_env, "get", "client", client.id, "--fields", "secret")

    assert result.returncode == 0, result.stderr
    assert "secret" not in json.loads(result.stdout)
    assert "client-secret-9d1e" not in result.stdout + table_result.stdout + table_result.stderr


# -- help ----------------------------------------------------------------------------------------------------


def command_names():
    subcommands = next(action for action in build_parser()._actions if action.dest == "command")
    return sorted(subcommands.choices)


@pytest.mark.parametrize("command", command_names())
def test_help_of_every_command(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])

    assert info.value.code == 0
    assert f"usage: flame-hub {command}" in capsys.readouterr().out


def test_help_as_subprocess(cli_env):
    result = run_cli(cli_env, "list", "--help")

    assert result.returncode == 0
    assert "--filter LOOKUP=VALUE" in result.stdout
    assert "FLAME_HUB_URL" in result.stdout


def test_expected_commands_registered():
    expected = {"list", "get", "create", "update", "delete", "upload", "download", "tarball", "shell", "fake-hub"}

    assert expected <= set(command_names())
