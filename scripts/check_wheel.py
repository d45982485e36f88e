"""Checks a built wheel the way an installer would see it, not by eye: its tags (abi3, CPython 3.11 and
later, manylinux_2_17 x86_64), the highest glibc symbol version its extension needs (at most 2.17, or it will
not load on Debian 11, RHEL 8 or Amazon Linux 2), and the licence file in its metadata.

    python3 scripts/check_wheel.py dist/llm_retry-*.whl
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WANTED_TAGS = {"cp311-abi3-manylinux_2_17_x86_64", "cp311-abi3-manylinux2014_x86_64"}
MAX_GLIBC = (2, 17)


def glibc_versions(shared_object: Path) -> set[tuple[int, ...]]:
    """The GLIBC_x.y versions of the symbols the object imports, from its dynamic symbol table."""
    table = subprocess.run(["objdump", "-T", str(shared_object)], capture_output=True, text=True, check=True)
    return {tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_([0-9.]+)", table.stdout)}


def check(wheel: Path) -> list[str]:
    problems = []
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        wheel_file = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        tags = set(re.findall(r"^Tag: (\S+)$", archive.read(wheel_file).decode(), re.M))
        if not tags & WANTED_TAGS or any(t.split("-")[-1] == "linux_x86_64" for t in tags):
            problems.append(f"tags {sorted(tags)}: want one of {sorted(WANTED_TAGS)}")
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        if "License-File: LICENSE" not in metadata or not any(n.endswith("licenses/LICENSE") for n in names):
            problems.append("no LICENSE in the wheel's metadata")
        extensions = [n for n in names if n.startswith("llm_retry/_core") and n.endswith(".so")]
        if not extensions:
            problems.append("no llm_retry/_core*.so in the wheel")
        with tempfile.TemporaryDirectory() as tmp:
            for name in extensions:
                path = Path(archive.extract(name, tmp))
                highest = max(glibc_versions(path), default=(0,))
                shown = ".".join(map(str, highest))
                if highest > MAX_GLIBC:
                    problems.append(f"{name} needs GLIBC_{shown}, more than 2.17")
                else:
                    print(f"{wheel.name}: {name} needs at most GLIBC_{shown}; tags {', '.join(sorted(tags))}")
    return problems


def main() -> int:
    wheels = [Path(p) for p in sys.argv[1:]]
    if not wheels:
        print("usage: check_wheel.py WHEEL...", file=sys.stderr)
        return 2
    problems = [f"{w.name}: {p}" for w in wheels for p in check(w)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
