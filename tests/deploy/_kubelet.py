"""A ConfigMap volume laid out and updated the way kubelet does it.

kubelet's atomic writer keeps the payload in a timestamped hidden directory
(``..2026_12_03_18_16_03.123456789``), points the ``..data`` symlink at it, and shows
each key as a symlink ``key -> ..data/key``. An update writes a new timestamped
directory, renames a fresh symlink over ``..data`` (the atomic step), adds or removes
the per-key symlinks, and deletes the old directory. Readers never see a mix of old and
new files, but they do see paths that are symlinks and directories that vanish.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ConfigMapVolume"]

_DATA = "..data"


class ConfigMapVolume:
    """A directory whose content is replaced as kubelet replaces a ConfigMap mount."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _current(self) -> Path | None:
        link = self.root / _DATA
        return self.root / os.readlink(link) if link.is_symlink() else None

    def write(self, payload: Mapping[str, str]) -> Path:
        """Publish ``payload`` (file name -> text) atomically; returns the new data dir."""
        old = self._current()
        stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
        new = Path(tempfile.mkdtemp(prefix=stamp, dir=self.root))
        for name, text in payload.items():
            (new / name).write_text(text, encoding="utf-8")
            (new / name).chmod(0o644)
        new.chmod(0o755)
        tmp_link = self.root / "..data_tmp"
        tmp_link.symlink_to(new.name)
        os.replace(tmp_link, self.root / _DATA)  # the atomic swap
        for name in payload:
            visible = self.root / name
            if not visible.is_symlink():
                visible.symlink_to(f"{_DATA}/{name}")
        for entry in self.root.iterdir():
            if not entry.name.startswith("..") and entry.name not in payload:
                entry.unlink()
        if old is not None:
            shutil.rmtree(old)
        return new
