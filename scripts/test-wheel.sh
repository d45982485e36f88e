#!/usr/bin/env bash
# Installs a built wheel (default: the one in dist/) into a fresh virtual environment, with the pinned test
# dependencies, and runs the whole pytest suite and the doctests against it: what a user's `pip install`
# would get, not the source tree. scripts/build-release.sh ends with it.
set -euo pipefail
cd "$(dirname "$0")/.."
wheel="${1:-$(ls dist/llm_retry-*.whl | head -n 1)}"
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT

echo "== a fresh venv with $(basename "$wheel")"
LLM_RETRY_VENV="$venv" source scripts/venv.sh >/dev/null
python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt "$wheel"
# From outside the source tree, so that nothing but the installed wheel can be imported as llm_retry.
cd tests
python -c 'import llm_retry, pathlib; print("testing", llm_retry.__version__, "from", pathlib.Path(llm_retry.__file__).parent)'
python -m pytest -q -p no:cacheprovider --rootdir . -c ../pyproject.toml .
python -m pytest -q -p no:cacheprovider --doctest-modules --pyargs llm_retry
