"""Writing files and folders atomically: readers see the old content or the new, never a mix.

One mechanism for every writer in capplan (datasets, result folders, reports, workbooks): write into
a temporary file or folder beside the target, then rename it over the target. Nothing is deleted
before the new content is complete; a folder being replaced is first renamed aside and removed only
after the new one is in place, so a crash at any moment leaves either the old or the new folder
(plus, at worst, a hidden leftover beside it).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path


def replace_file(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(temporary_path)`, then move the complete file to `path` (replacing it atomically)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def replace_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically."""
    return replace_file(path, lambda p: p.write_text(text, encoding="utf-8"))


def replace_folder(path: str | os.PathLike, fill: Callable[[Path], object]) -> Path:
    """Call `fill(staging_folder)`, then put the complete folder at `path`, replacing any folder there.

    The staging folder is created beside `path` with the process's umask (unlike `tempfile.mkdtemp`,
    whose 0700 would be kept); if `fill` fails it is removed and `path` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    staging.mkdir()
    try:
        fill(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not target.exists():
        staging.rename(target)
        return target
    aside = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    target.rename(aside)
    staging.rename(target)
    shutil.rmtree(aside)  # the old folder may hold anything, sub-folders included
    return target
