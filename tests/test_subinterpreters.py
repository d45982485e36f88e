"""Sub-interpreters are refused, never served wrongly: the extension's caches are process-wide, so a second
interpreter of the process gets an ImportError, and the first goes on deciding exactly as before.

Each case runs in a fresh process (a sub-interpreter that went wrong must not take the test run with it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import json, sys
    try:
        import _interpreters as interpreters  # 3.13+
    except ImportError:
        import _xxsubinterpreters as interpreters  # 3.11, 3.12

    IMPORT_IN_SUB = '''
    import json, os, sys
    sys.path[:0] = {path!r}
    try:
        import llm_retry
        outcome = "imported"
    except ImportError as exc:
        outcome = "ImportError: " + str(exc)
    os.write({fd}, (json.dumps(outcome) + "\\\\n").encode())
    '''

    def in_sub(read_fd, write_fd):
        sub = interpreters.create()
        interpreters.run_string(sub, IMPORT_IN_SUB.format(path=sys.path, fd=write_fd))
        interpreters.destroy(sub)
        return json.loads(os.read(read_fd, 65536).decode().splitlines()[0])

    import os
    read_fd, write_fd = os.pipe()
    import llm_retry
    from llm_retry import ErrorKind, OpenAIPreset, classify

    def quota_error():
        class RateLimitError(Exception):
            status_code = 429
            body = {"error": {"type": "insufficient_quota", "code": "insufficient_quota"}}
        return RateLimitError("You exceeded your current quota")

    results = {"subs": [in_sub(read_fd, write_fd) for _ in range(3)]}
    verdicts = [classify(quota_error(), preset=OpenAIPreset) for _ in range(5000)]
    results["kinds_are_the_package_s"] = all(type(v.kind) is ErrorKind for v in verdicts)
    results["quota_never_retried"] = all(
        v.kind is ErrorKind.QUOTA_EXHAUSTED and not v.retryable for v in verdicts
    )
    print(json.dumps(results))
    """
)


def has_subinterpreters() -> bool:
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            __import__(name)
            return True
        except ImportError:
            continue
    return False


@pytest.mark.skipif(not has_subinterpreters(), reason="this CPython has no sub-interpreter module")
def test_a_sub_interpreter_is_refused_and_the_main_one_is_unharmed() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for outcome in results["subs"]:
        assert outcome.startswith("ImportError: "), outcome
        assert "sub-interpreters are not supported" in outcome or "subinterpreters" in outcome
    assert results["kinds_are_the_package_s"]
    assert results["quota_never_retried"]
