"""Records what the published ``llm-retry-py`` 0.1.0 answers to tests/llm_retry_py_scenarios.py, in
tests/data/llm_retry_py-0.1.0.json, for tests/test_llm_retry_py_compat.py to compare llm-retry's drop-in with.

The published package also imports as ``llm_retry``, so it runs in a venv of its own, made in a temporary
directory (pip needs PyPI):

    python3 scripts/record_llm_retry_py.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "llm_retry_py-0.1.0.json"
PACKAGE = "llm-retry-py==0.1.0"


def record_inside() -> None:
    """Runs in the venv that holds the published package: prints the scenarios' answers as JSON."""
    sys.path.insert(0, str(ROOT / "tests"))
    import llm_retry
    from llm_retry_py_scenarios import run_all

    if getattr(llm_retry, "__version__", None) != "0.1.0" or hasattr(llm_retry, "retry_llm"):
        raise SystemExit(f"llm_retry here is not llm-retry-py 0.1.0: {llm_retry.__file__}")
    print(json.dumps({"package": PACKAGE, "scenarios": run_all(llm_retry)}, indent=1, sort_keys=True))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv.create(tmp, with_pip=True)
        python = str(Path(tmp) / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", PACKAGE], check=True)
        # -I: the published package, never a checkout's python/llm_retry on the path.
        recorded = subprocess.run(
            [python, "-I", __file__, "--inside"], check=True, capture_output=True, text=True, cwd=tmp
        ).stdout
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(recorded)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    record_inside() if sys.argv[1:] == ["--inside"] else main()
