#!/usr/bin/env bash
# The README's first command: builds and installs llm-retry into the project's own .venv (never into the
# Python that runs this), then runs a real example against a flaky provider on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh

python -m pip install --quiet --disable-pip-version-check .
python examples/flaky_provider.py
