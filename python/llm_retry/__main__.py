"""``python -m llm_retry``: the ``llm-retry`` command line (`_cli`)."""

from ._cli import main

raise SystemExit(main())
