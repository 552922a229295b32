"""Run every ``python`` code block of the README and of ``docs/`` against a fake Hub.

Each page is one test: its blocks run in order in one namespace, so a later block can use the
names an earlier one defined. The namespace starts empty and no default Session is set, so a
page imports every name and calls ``flame_hub.connect()`` itself, as a reader pasting its
blocks would have to. The pages write the address of a locally run Hub,
``http://localhost:3000``, and the test replaces it with the address of a fake Hub reset to its
seeded state. Blocks whose first line starts with ``>>>`` run as
doctests, so their printed output is checked too.

A block preceded by ``<!-- skip-example: REASON -->`` is not run. Use it only for code that
needs a real Hub or a terminal, and state that reason.
"""

from __future__ import annotations

import doctest
import logging
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import flame_hub
from flame_hub._session import get_default_session, set_default_session
from flame_hub.testing import FakeHub

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LOCAL_HUB_URL = "http://localhost:3000"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_SKIP = re.compile(r"^\s*<!--\s*skip-example:(?P<reason>.*?)-->\s*$")


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of a Markdown page: its language, first code line (1-based) and source."""

    language: str
    line: int
    source: str
    skip_reason: str | None


def extract_blocks(text: str) -> list[CodeBlock]:
    """Return the fenced code blocks of the Markdown ``text`` in order, with their skip markers."""
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    previous = ""
    index = 0

    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            if lines[index].strip():
                previous = lines[index]
            index += 1
            continue

        fence = opening.group("fence")
        info = opening.group("info").strip()
        language = info.split()[0].lstrip("{.").rstrip("}") if info else ""
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index])
            index += 1

        marker = _SKIP.match(previous)
        skip_reason = marker.group("reason").strip() if marker else None
        first_line = index - len(body) + 1
        blocks.append(CodeBlock(language, first_line, textwrap.dedent("\n".join(body)) + "\n", skip_reason))
        previous = ""
        index += 1
    return blocks


def markdown_pages() -> list[Path]:
    """Return the README and every Markdown page under ``docs/``."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def runnable_blocks(path: Path) -> list[CodeBlock]:
    """Return the Python blocks of the page at ``path`` that are not marked to be skipped."""
    blocks = extract_blocks(path.read_text(encoding="utf-8"))
    return [block for block in blocks if block.language == "python" and block.skip_reason is None]


def pages_with_examples() -> list[Path]:
    return [path for path in markdown_pages() if runnable_blocks(path)]


def run_block(block: CodeBlock, path: Path, namespace: dict, hub_url: str) -> None:
    """Run one block in ``namespace``; errors and failed doctests name the page and line of the Markdown file."""
    source = block.source.replace(LOCAL_HUB_URL, hub_url)
    name = f"{page_id(path)}:{block.line}"

    if source.lstrip().startswith(">>>"):
        parser = doctest.DocTestParser()
        test = parser.get_doctest(source, namespace, name, str(path), block.line - 1)
        # Later examples of a block depend on earlier ones, so only the first failure is informative.
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.REPORT_ONLY_FIRST_FAILURE
        runner = doctest.DocTestRunner(optionflags=flags)
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        namespace.update(test.globs)
        if runner.failures:
            pytest.fail(f"The doctest at {name} failed:\n{''.join(report)}", pytrace=False)
        return

    # Padding keeps the line numbers of a traceback equal to those of the Markdown page.
    code = compile("\n" * (block.line - 1) + source, str(path), "exec")
    exec(code, namespace)


@pytest.fixture
def docs_environment(tmp_path, monkeypatch):
    """Run examples in an empty directory, with no FLAME_HUB_* variables and a private home directory."""
    for key in list(os.environ):
        if key.startswith("FLAME_HUB_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    saved_environment = dict(os.environ)
    yield work
    # Examples may set variables through os.environ directly; monkeypatch does not see those.
    os.environ.clear()
    os.environ.update(saved_environment)


@pytest.mark.parametrize("path", pages_with_examples(), ids=page_id)
def test_page_examples_run(path, fake_hub, docs_environment):
    set_default_session(None)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    # Pages may configure logging as a user would; later tests must not inherit it.
    library_logger = logging.getLogger("flame_hub")
    saved_level = library_logger.level
    saved_root_handlers = list(logging.getLogger().handlers)
    try:
        for block in runnable_blocks(path):
            run_block(block, path, namespace, fake_hub.url)
    finally:
        for value in list(namespace.values()):
            # A page may start a fake Hub of its own to show its requests, so stop that one here too.
            if isinstance(value, FakeHub) and value is not fake_hub:
                value.stop()
        try:
            get_default_session().close()
        except flame_hub.HubError:
            pass  # the page set no default Session
        set_default_session(None)
        library_logger.setLevel(saved_level)
        logging.getLogger().handlers[:] = saved_root_handlers


@pytest.mark.parametrize("path", markdown_pages(), ids=page_id)
def test_page_skip_markers_state_reason(path):
    for block in extract_blocks(path.read_text(encoding="utf-8")):
        if block.skip_reason is None:
            continue
        assert block.skip_reason, f"{page_id(path)}:{block.line}: the skip-example marker needs a reason."
        assert block.language == "python", f"{page_id(path)}:{block.line}: skip-example precedes a non-Python block."


def test_extract_blocks_reads_fences_and_markers():
    text = (
        "Intro\n\n"
        "```python\nx = 1\n```\n\n"
        "<!-- skip-example: needs a real Hub -->\n"
        "```python\nconnect()\n```\n\n"
        "- item\n\n"
        "    ```bash\n    ls\n    ```\n"
    )

    blocks = extract_blocks(text)

    assert [block.language for block in blocks] == ["python", "python", "bash"]
    assert blocks[0].source == "x = 1\n"
    assert blocks[0].line == 4
    assert blocks[0].skip_reason is None
    assert blocks[1].skip_reason == "needs a real Hub"
    assert blocks[2].source == "ls\n"


def test_guide_pages_have_examples():
    tested = [page_id(path) for path in pages_with_examples()]

    for name in ("README.md", "docs/getting-started.md", "docs/sessions.md", "docs/relations.md", "docs/files.md"):
        assert name in tested


SITE_PAGES = (
    "index.md",
    "getting-started.md",
    "sessions.md",
    "querying.md",
    "objects.md",
    "relations.md",
    "files.md",
    "interactive.md",
    "testing.md",
    "migrating.md",
    "errors.md",
    "reliability.md",
    "benchmarks.md",
    "reference/session.md",
    "reference/auth.md",
    "reference/models.md",
    "reference/queryset.md",
    "reference/errors.md",
    "reference/testing.md",
    "reference/clients.md",
)


@pytest.mark.parametrize("name", SITE_PAGES)
def test_site_page_exists_in_nav(name):
    navigation = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")

    assert (DOCS / name).is_file(), f"docs/{name} is missing."
    assert f": {name}\n" in navigation, f"docs/{name} is not in the nav of mkdocs.yml."


def test_querying_page_lists_every_lookup():
    from flame_hub._lookups import LOOKUPS

    text = (DOCS / "querying.md").read_text(encoding="utf-8")
    table = text[text.index("## Lookups") :]

    for lookup in LOOKUPS:
        assert f"__{lookup}" in table, f"The lookups table of docs/querying.md does not list __{lookup}."
