"""Where the files staff ask for in 操作 go on the embedded default (issue 13 §4).

They stay where ``app.operations`` made them — payment files only in
``payments.files_dir``, labels and reports in the folders the ``labels`` and ``report``
commands use — and the row names the path. (On Google: ``adapters.google_drive``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class FolderOutputs:
    """``app.operations.OutputStore`` over local folders: nothing to hand over."""

    def refusal(self, area: str) -> str | None:
        return None  # every kind has its folder

    def publish(self, area: str, files: Sequence[Path]) -> list[str]:
        return [str(path) for path in files]
