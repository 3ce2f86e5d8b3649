"""The image's pins: deploy/requirements.lock, compiled by uv from pyproject.toml with hashes.

    python deploy/lock.py          re-compile the lock (`make lock`)
    python deploy/lock.py --check  fail when pyproject.toml changed since (`make lint`, offline)

The lock holds the runtime dependencies only (no extras: no dev server, no test tools), for the
image's Python (3.11, Linux). The image installs it with `--require-hashes --no-deps` and then
runs `pip check`, so a package the lock misses fails the build, not the first start. The check
here is offline and deterministic: the lock records a fingerprint of the dependencies it was
compiled from, and every direct dependency must be pinned in it as pyproject.toml pins it.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "deploy" / "requirements.lock"
FINGERPRINT = re.compile(r"^# dependencies sha256:([0-9a-f]{64})$", re.M)
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)", re.M)


def dependencies() -> list[str]:
    return list(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


def fingerprint(requirements: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def compile_lock() -> None:
    subprocess.run(
        [
            str(Path(sys.executable).parent / "uv"),
            "pip",
            "compile",
            "pyproject.toml",
            "--quiet",
            "--generate-hashes",
            "--python-version",
            "3.11",
            "--python-platform",
            "x86_64-unknown-linux-gnu",
            "--custom-compile-command",
            "make lock",
            "--output-file",
            str(LOCK.relative_to(ROOT)),
        ],
        cwd=ROOT,
        check=True,
    )
    LOCK.write_text(LOCK.read_text() + f"# dependencies sha256:{fingerprint(dependencies())}\n")


def problems() -> list[str]:
    if not LOCK.exists():
        return [f"{LOCK.name} is missing: run `make lock`"]
    text = LOCK.read_text()
    found = FINGERPRINT.search(text)
    wrong = []
    if not found or found.group(1) != fingerprint(dependencies()):
        wrong.append("pyproject.toml's dependencies changed since the lock was compiled: run `make lock`")
    pins = {_name(name): version for name, version in PIN.findall(text)}
    for requirement in dependencies():
        version = requirement.split("==", 1)[1] if "==" in requirement else None
        if pins.get(_name(requirement)) != version:
            wrong.append(f"{requirement} is not pinned as {requirement} in {LOCK.name}: run `make lock`")
    return wrong


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        found = problems()
        print("\n".join(found) or f"{LOCK.relative_to(ROOT)} is current", file=sys.stderr if found else sys.stdout)
        sys.exit(1 if found else 0)
    compile_lock()
