# Sourced by the README's two commands: makes (or reuses) the project's own virtual environment in .venv and
# puts it first on PATH, so that nothing is ever installed into the Python that runs this script. Works with
# Debian's externally managed python3, with or without its python3-venv package.
# Override the interpreter with PYTHON=python3.12.

venv_dir="${LLM_RETRY_VENV:-.venv}"
base_python="${PYTHON:-python3}"

if [ ! -x "$venv_dir/bin/python" ]; then
    echo "== making the virtual environment $venv_dir (from $("$base_python" --version 2>&1))"
    if ! "$base_python" -m venv "$venv_dir" >/dev/null 2>&1; then
        # Debian without python3-venv has no ensurepip: make the venv bare, then let the system pip put pip in.
        rm -rf "$venv_dir"
        "$base_python" -m venv --without-pip "$venv_dir"
        "$base_python" -m pip --python "$venv_dir/bin/python" install --quiet --disable-pip-version-check pip
    fi
else
    echo "== reusing the virtual environment $venv_dir"
fi
case "$venv_dir" in
    /*) venv_path="$venv_dir" ;;
    *) venv_path="$PWD/$venv_dir" ;;
esac
PATH="$venv_path/bin:$PATH"
export PATH
export VIRTUAL_ENV="$venv_path"
