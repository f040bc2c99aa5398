"""Print pip constraints pinning every dependency of setup.cfg to its floor (``name>=X`` -> ``name==X``).

Used by .ci/run to test the lowest versions the package claims to support. Test tools
(pytest, hypothesis, jsonschema) are left free: users never run them against dedup.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

TOOLS = {"pytest", "hypothesis", "jsonschema", "rensa"}
FLOOR = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*$")


def floors(setup_cfg: Path) -> dict[str, str]:
    config = configparser.ConfigParser()
    config.read(setup_cfg, encoding="utf-8")
    lines = config["options"]["install_requires"].splitlines()
    for extra, requirements in config["options.extras_require"].items():
        if extra != "bench":
            lines += requirements.splitlines()
    pins: dict[str, str] = {}
    for line in lines:
        match = FLOOR.match(line.split("#", 1)[0])
        if match and match.group(1).lower() not in TOOLS:
            name, version = match.group(1).lower(), match.group(2)
            if pins.setdefault(name, version) != version:
                raise SystemExit(f"setup.cfg gives {name} two floors: {pins[name]} and {version}")
    return pins


if __name__ == "__main__":
    for name, version in sorted(floors(Path(__file__).resolve().parent.parent / "setup.cfg").items()):
        print(f"{name}=={version}")
