"""The user's callbacks llm-retry calls (``on_retry``, ``on_state_change``, ``on_fallback``) and the one rule
for all of them: a hook that raises is logged with its traceback and changes nothing about the call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("llm_retry")


def call_hook(hook: Callable[..., object], *args: object, name: str, about: str) -> None:
    """Calls one hook. An exception from it is logged (``logger.exception`` on ``llm_retry``) and goes no
    further: a metrics backend that is down must not change a call's retries, its answer or its exception,
    nor keep a breaker permit from being reported."""
    try:
        hook(*args)
    except Exception:
        logger.exception(
            "llm-retry: the %s hook %s raised (%s); ignored",
            name,
            getattr(hook, "__qualname__", None) or type(hook).__qualname__,
            about,
        )
