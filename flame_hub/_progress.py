"""Progress bars for long work (uploads, downloads, many rows), drawn by tqdm when the ``progress`` extra is installed.

``progress=None`` (the default of every caller) shows a bar when standard error is a terminal or
the code runs in a Jupyter kernel, and only once the work has taken ``AUTO_DELAY`` seconds, so
short calls stay quiet. ``progress=True`` always shows one and ``progress=False`` never does.
Without tqdm no bar is drawn and nothing else changes.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any, TypeVar

__all__ = ["AUTO_DELAY", "ProgressReader", "progress_bar", "progress_enabled", "track"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds of work before an automatic bar appears.
AUTO_DELAY = 1.0


class _NullBar:
    """Stand-in with the part of tqdm's interface used here, for when no bar is shown."""

    n = 0

    def update(self, count: int = 1) -> None:
        self.n += count

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _in_notebook() -> bool:
    """Return whether the code runs in a Jupyter kernel (IPython's ZMQ shell)."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _stderr_is_terminal() -> bool:
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress_enabled(progress: bool | None) -> bool:
    """Return whether to draw a bar: ``progress`` when given, else whether the output is a terminal or notebook."""
    if progress is False:
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        if progress:
            logger.debug("progress=True has no effect: tqdm is not installed (pip install 'flame-hub[progress]').")
        return False
    if progress:
        return True
    return _in_notebook() or _stderr_is_terminal()


def progress_bar(total: int | None, *, description: str, unit: str = "it", progress: bool | None = None) -> Any:
    """Return a tqdm bar for ``total`` steps (``None`` when unknown), or a silent stand-in when it is off.

    ``unit="B"`` counts bytes and scales them to kB, MB and so on. Use the result as a context
    manager, or call ``close()``.
    """
    if not progress_enabled(progress):
        return _NullBar()

    options: dict[str, Any] = {"total": total, "desc": description, "unit": unit, "leave": progress is True}
    if unit == "B":
        options.update(unit_scale=True, unit_divisor=1024)
    if progress is None:
        options["delay"] = AUTO_DELAY

    from tqdm.auto import tqdm

    try:
        return tqdm(**options)
    except ImportError:
        # tqdm's notebook bar needs ipywidgets; without it the text bar works in a notebook too.
        from tqdm.std import tqdm as text_tqdm

        return text_tqdm(**options)


def track(
    items: Iterable[T],
    *,
    total: int | None = None,
    description: str,
    unit: str = "it",
    progress: bool | None = None,
) -> Iterator[T]:
    """Yield ``items`` and advance a progress bar by one for each; the bar closes when the loop ends."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    bar = progress_bar(total, description=description, unit=unit, progress=progress)
    try:
        for item in items:
            yield item
            bar.update(1)
    finally:
        bar.close()


class ProgressReader:
    """A binary file that advances ``bar`` by the bytes read from it, for streamed uploads.

    Seeking moves the bar as well, so a request sent again after a token renewal does not count
    its bytes twice.
    """

    def __init__(self, file: IO[bytes], bar: Any) -> None:
        self._file = file
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._bar.update(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        before = self._file.tell()
        position = self._file.seek(offset, whence)
        self._bar.update(position - before)
        return position

    def tell(self) -> int:
        return self._file.tell()

    def seekable(self) -> bool:
        return self._file.seekable()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()

    @property
    def name(self) -> str:
        return str(getattr(self._file, "name", ""))
