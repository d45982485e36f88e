#!/usr/bin/env bash
# The release build anyone can run here: writes to dist/ the sdist and a manylinux2014 (manylinux_2_17) x86_64
# abi3 wheel, built with maturin and zig (from PyPI, so no old-glibc toolchain is needed), then checks them:
# `twine check --strict`, and scripts/check_wheel.py for the wheel's tags, its highest glibc symbol and the
# licence inside; then scripts/test-wheel.sh runs the whole suite against the wheel in a fresh venv
# (`--no-test` skips that). The build tools live in their own .venv-release.
set -euo pipefail
cd "$(dirname "$0")/.."
LLM_RETRY_VENV=.venv-release source scripts/venv.sh
python -m pip install --quiet --disable-pip-version-check -r scripts/release-requirements.txt

rm -rf dist
echo "== sdist"
maturin sdist --out dist
echo "== wheel: manylinux2014 x86_64, abi3 (CPython 3.11 and later)"
maturin build --release --zig --compatibility manylinux2014 --target x86_64-unknown-linux-gnu --out dist
echo "== checks"
twine check --strict dist/*
python scripts/check_wheel.py dist/*.whl
ls -l dist
if [ "${1:-}" != "--no-test" ]; then
    bash scripts/test-wheel.sh dist/*.whl
fi
