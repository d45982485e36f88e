#!/usr/bin/env bash
# The whole test suite, set-up included: installs the test dependencies (pinned), builds and installs the
# package, then runs the Rust tests, the linters, the type checks and pytest. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
python3 -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps .

echo "== cargo fmt / clippy / test"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo test --quiet

echo "== ruff / mypy / stubtest"
python3 -m ruff check python tests benches examples
python3 -m mypy
python3 -m mypy.stubtest llm_retry._core

echo "== pytest"
python3 -m pytest -q -p no:cacheprovider tests
python3 -m pytest -q -p no:cacheprovider --doctest-modules --pyargs llm_retry
