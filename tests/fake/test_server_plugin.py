"""The pytest plugin's fixtures and options, exercised in a separate pytest run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

TESTS = textwrap.dedent(
    """
    import httpx2


    def test_first_creates_bucket(fake_hub):
        headers = {"authorization": f"Bearer {fake_hub.issue_admin_token()}"}
        response = httpx2.post(f"{fake_hub.storage_url}buckets", json={"name": "left-over"}, headers=headers)
        assert response.status_code == 201
        fake_hub.add_fault("GET", "/storage/", status=503)


    def test_second_starts_clean(fake_hub, fake_hub_server):
        assert fake_hub is fake_hub_server
        assert fake_hub.state.table("storage.buckets") == {}
        assert fake_hub.requests == []
        assert httpx2.get(fake_hub.storage_url).status_code == 200


    def test_options_applied(fake_hub, pytestconfig):
        assert fake_hub.state.access_token_lifetime == pytestconfig.getoption("--fake-hub-token-lifetime")
        assert fake_hub.state.legacy_robots is pytestconfig.getoption("--fake-hub-legacy-robots")
    """
)


def run_pytest(tmp_path, *options: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_plugin_use.py").write_text(TESTS, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plugin_fixtures_reset_between_tests(tmp_path):
    result = run_pytest(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_plugin_options_reach_fake_hub(tmp_path):
    result = run_pytest(tmp_path, "--fake-hub-token-lifetime", "5", "--fake-hub-legacy-robots")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_plugin_options_in_help(tmp_path):
    result = run_pytest(tmp_path, "--help")

    assert "--fake-hub-token-lifetime=SECONDS" in result.stdout
    assert "--fake-hub-legacy-robots" in result.stdout
