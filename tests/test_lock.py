"""requirements.lock is what `make` installs: it must satisfy pyproject.toml, pin every package with
hashes, and be what this environment (the one the tests run in) actually has."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*\\?$")


def _lock() -> dict[str, tuple[str, int]]:
    """Package -> (pinned version, number of hashes)."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]


def test_the_lock_pins_every_declared_dependency_within_its_range():
    pins = _lock()
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock: run make lock"
        assert req.specifier.contains(pins[name][0], prereleases=True), \
            f"requirements.lock pins {req.name}=={pins[name][0]}, outside pyproject's {req.specifier}: run make lock"


def test_every_pin_carries_hashes_and_is_what_is_installed():
    pins = _lock()
    assert len(pins) > 50 and all(hashes for _, hashes in pins.values())
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differ = {name: (version, installed.get(name)) for name, (version, _) in pins.items()
              if installed.get(name) != version}
    assert not differ, f"installed packages differ from requirements.lock (locked, installed): {differ}"
