#!/usr/bin/env bash
# The whole test suite, set-up included: makes (or reuses) the project's own .venv, installs the pinned test
# dependencies and the package into it (never into the Python that runs this), starts nothing it leaves
# behind, then runs the Rust tests, the linters, the type checks and pytest. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Redis store tests run a real Redis server of their own: Debian's redis-server package, where missing.
if ! command -v redis-server >/dev/null 2>&1; then
    echo "== installing redis-server (Debian's package) for the Redis tests"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q --no-install-recommends redis-server >/dev/null \
        || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends redis-server >/dev/null; }
fi

source scripts/venv.sh
python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps .

echo "== cargo fmt / clippy / test"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo test --quiet

echo "== ruff / mypy / stubtest"
python -m ruff check python tests benches examples scripts
python -m ruff format --check python tests benches examples scripts
python -m mypy
python -m mypy.stubtest llm_retry._core
# The public API as typed user code sees it, under both checkers' strict modes.
python -m mypy --strict tests/typing/usage.py
python -m pyright --pythonpath "$(command -v python)" tests/typing/usage.py

echo "== pytest"
python -m pytest -q -p no:cacheprovider tests
python -m pytest -q -p no:cacheprovider --doctest-modules --pyargs llm_retry

# The package's own tests (without the SDK conformance suites, whose pins target 3.11) on every other CPython
# this machine has, each in a venv of its own, with the same abi3 wheel.
echo "== other interpreters"
python -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir target/test-wheel .
wheel="$(ls -t target/test-wheel/llm_retry-*.whl | head -n 1)"
pyenv_root="$(pyenv root 2>/dev/null || true)"
for version in 3.12 3.13 3.14; do
    interpreter=""
    for candidate in "python$version" ${pyenv_root:+$(ls -d "$pyenv_root"/versions/"$version".*/bin/python"$version" 2>/dev/null | sort -V | tail -n 1)}; do
        if "$candidate" -c "import sys" >/dev/null 2>&1; then interpreter="$candidate"; break; fi
    done
    if [ -z "$interpreter" ]; then
        echo "-- CPython $version: not on this machine, skipped"
        continue
    fi
    (
        PYTHON="$interpreter" LLM_RETRY_VENV=".venv-$version" source scripts/venv.sh
        python -m pip install --quiet --disable-pip-version-check -r tests/requirements-core.txt
        python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"
        echo "-- $(python --version): tests without the conformance suites"
        python -m pytest -q -p no:cacheprovider tests --ignore=tests/conformance
    )
done
