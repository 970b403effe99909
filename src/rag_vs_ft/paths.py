"""Where the tool may write. Every path that comes from a config or a domain file goes through here first.

The tool owns three kinds of place and writes nowhere else: `output_dir/<domain>/<run_id>/` (a run's report),
`cache_dir/` (models, indexes, adapters, answers) and a domain folder (`domain init` writes its domain.yaml,
`domain synth` its question file). A run id and a domain name are plain names, so they cannot climb out of
`output_dir`; a domain's `qa:` is a relative path that stays inside its domain folder, symlinks resolved.
"""

from __future__ import annotations

import re
from pathlib import Path

PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class PathError(ValueError):
    """A path the tool will not use; the message is one line naming the setting and the path."""


def plain_name(value: str, what: str) -> str:
    """A single path component: no separator, no '..', no leading dot."""
    if not PLAIN_NAME.fullmatch(value) or ".." in value:
        raise PathError(f"{what} must be a plain name (letters, digits, '.', '-', '_'), not {value!r}")
    return value


def inside(base: Path, relative: str, what: str) -> Path:
    """`base/relative`, refused when `relative` is absolute or the result (symlinks resolved) leaves `base`."""
    if not isinstance(relative, str) or not relative.strip():
        raise PathError(f"{what} must be a file name inside {base}, not {relative!r}")
    if Path(relative).is_absolute():
        raise PathError(f"{what} must be relative to {base}, not the absolute path {relative!r}")
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()):
        raise PathError(f"{what} {relative!r} points outside {base}: the tool writes only inside its folders")
    return base / relative


def writable_dir(path: Path, what: str) -> Path:
    """A directory the tool may create and write in: not an existing file, not the filesystem root, and (the
    nearest existing ancestor) writable. Checked before any compute, so nothing is computed and then lost."""
    path = Path(path).expanduser()
    resolved = path.resolve()
    if resolved == Path(resolved.anchor):
        raise PathError(f"{what} may not be the filesystem root")
    if path.exists() and not path.is_dir():
        raise PathError(f"{what} {path} is a file, not a directory")
    probe = resolved
    while not probe.exists():
        probe = probe.parent
    if not can_write(probe):
        raise PathError(f"{what} {path} is not writable ({probe} does not allow creating files)")
    return path


def can_write(directory: Path) -> bool:
    """Whether a file can be created in `directory`: tried, not inferred from mode bits (root passes those,
    and a read-only mount or an immutable folder still refuses)."""
    import tempfile

    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".rag-vs-ft-probe-"):
            return True
    except OSError:
        return False
