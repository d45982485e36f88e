"""Claims the extension for this interpreter before anything else uses it: a second interpreter of the same
process (a sub-interpreter) gets an ImportError, because the extension's caches are process-wide."""

from . import _core

_core.claim_interpreter()
