#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11+: creates `.venv`, installs, runs.

    python3 dev.py demo [--subjects N] [--port P]   # the service with demo data (embedded defaults)
    python3 dev.py test [pytest args]               # the test suite
    python3 dev.py creditgraph <command> ...        # any other CLI command in the venv

The install is repeated only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("creditgraph needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print("creating .venv …", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".creditgraph-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing creditgraph and its dependencies into .venv …", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f".{extras}"], check=True, cwd=ROOT)
    stamp.write_text(digest)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "serve", "test", "creditgraph"):
        print(__doc__, file=sys.stderr)
        return 2
    command, args = sys.argv[1], sys.argv[2:]
    if command == "test":
        ensure_venv("[dev]")
        return subprocess.call([str(BIN / "pytest"), *args], cwd=ROOT)
    ensure_venv("[dev]")
    cli = [str(BIN / "creditgraph")]
    return subprocess.call([*cli, *args] if command == "creditgraph" else [*cli, command, *args], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
