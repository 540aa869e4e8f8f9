"""The hash-checked lock files (requirements/lock/*.txt, installed by the README's commands) pin exactly the
versions requirements/*.txt pin, so neither can drift from the other unnoticed. Regenerate a lock with:

    .venv/bin/python -m uv pip compile -q --generate-hashes --python-version 3.11 \\
        --python-platform x86_64-manylinux_2_28 requirements/ENV.txt -o requirements/lock/ENV.txt
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """Every ``name==version`` in a requirements file and the files it includes with ``-r``."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found.update(pins(path.parent / line[3:].strip()))
        elif match := PIN.match(line):
            found[_name(match.group(1))] = match.group(2)
    return found


@pytest.mark.parametrize("env", ["base", "dev", "prod"])
def test_the_lock_pins_what_the_requirements_pin_and_every_pin_has_a_hash(env):
    wanted = pins(REQUIREMENTS / f"{env}.txt")
    lock_text = (REQUIREMENTS / "lock" / f"{env}.txt").read_text(encoding="utf-8")
    locked = pins(REQUIREMENTS / "lock" / f"{env}.txt")
    assert wanted, env
    for name, version in wanted.items():
        assert locked.get(name) == version, (
            f"{env}: {name} is {version} in requirements, {locked.get(name)} in the lock"
        )
    # --require-hashes: every locked distribution carries at least one hash.
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock_text.split("\n", 2)[-1])
    assert all("--hash=sha256:" in block for block in blocks if PIN.match(block)), env


def test_the_pin_reader_sees_a_changed_version():
    # The other side: a version that differs from the lock is reported.
    locked = pins(REQUIREMENTS / "lock" / "base.txt")
    assert locked["django"] != "0.0.1" and locked["django"] == pins(REQUIREMENTS / "base.txt")["django"]
