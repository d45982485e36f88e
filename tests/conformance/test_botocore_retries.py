"""How many requests a botocore client makes on its own before a 429 reaches llm-retry, measured against a
loopback server that answers every request with Bedrock's ThrottlingException. The README quotes these counts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import botocore.endpoint
import botocore.retries.bucket
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from llm_retry import ErrorKind, classify

sys.path.insert(0, str(Path(__file__).parent))

from sdk_cases_google_aws import ANSWER_TIMEOUT_S, CONVERSE_ARGS, FAKE_AWS_KEY, counting_server, json_reply

THROTTLED = json_reply(
    429,
    {"message": "Too many requests, please wait before trying again."},
    ("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
)
CONVERSE_PATH = f"/model/{quote(CONVERSE_ARGS['modelId'], safe='')}/converse"

# retries= as the user would write it, and the requests the server then receives. No retries= is legacy mode
# (botocore's _retry.json: max_attempts 5); standard and adaptive default to 3 attempts.
MODES = [
    pytest.param(None, 5, id="default"),
    pytest.param({"mode": "legacy"}, 5, id="legacy"),
    pytest.param({"mode": "standard"}, 3, id="standard"),
    pytest.param({"mode": "adaptive"}, 3, id="adaptive"),
]


@pytest.fixture
def no_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS_* variable and no ~/.aws files of this machine: AWS_RETRY_MODE, AWS_MAX_ATTEMPTS or a profile's
    retry_mode would change the defaults under test."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


@pytest.fixture
def backoff_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff waits between attempts, recorded instead of slept: endpoint.py's only use of its
    `time` module is `time.sleep(delay)` before a retry."""
    sleeps: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=sleeps.append))
    return sleeps


class _LeapingClock:
    """For adaptive mode's client-side rate limiter: its token bucket waits on a condition until it refills
    (2 s at its 0.5 requests/s floor). A clock that leaps a minute on every read keeps the bucket full, so no
    send waits; the limiter only ever delays a send, never drops one, so the request count is unchanged."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def current_time(self) -> float:
        self.now_s += 60.0
        return self.now_s

    def sleep(self, seconds: float) -> None:
        pass


@pytest.fixture
def adaptive_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.retries.bucket, "Clock", _LeapingClock)


def bedrock_client(endpoint_url: str, retries: dict[str, Any] | None) -> Any:
    timeouts = {"connect_timeout": ANSWER_TIMEOUT_S, "read_timeout": ANSWER_TIMEOUT_S}
    config = Config(**timeouts) if retries is None else Config(retries=retries, **timeouts)
    return botocore.session.Session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id=FAKE_AWS_KEY[0],
        aws_secret_access_key=FAKE_AWS_KEY[1],
        config=config,
    )


@pytest.mark.usefixtures("no_aws_settings", "adaptive_never_waits")
@pytest.mark.parametrize(("retries", "requests"), MODES)
def test_requests_a_botocore_client_makes_for_one_throttled_call(
    backoff_sleeps: list[float], retries: dict[str, Any] | None, requests: int
) -> None:
    with counting_server(THROTTLED) as server:
        client = bedrock_client(server.url, retries)
        with pytest.raises(ClientError) as info:
            client.converse(**CONVERSE_ARGS)
        client.close()

    assert server.paths == [CONVERSE_PATH] * requests
    assert len(backoff_sleeps) == requests - 1
    assert all(s >= 0 for s in backoff_sleeps), backoff_sleeps
    error = info.value
    assert error.response["Error"]["Code"] == "ThrottlingException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error.response["ResponseMetadata"]["RetryAttempts"] == requests - 1
    # What llm-retry then sees: a rate limit that botocore already retried requests - 1 times.
    classification = classify(error)
    assert classification.kind is ErrorKind.RATE_LIMITED
    assert classification.sdk_retries == requests - 1


@pytest.mark.usefixtures("no_aws_settings")
def test_total_max_attempts_1_turns_botocores_retries_off(backoff_sleeps: list[float]) -> None:
    """The README's advice for Bedrock: one request, no backoff, and llm-retry decides."""
    with counting_server(THROTTLED) as server:
        client = bedrock_client(server.url, {"total_max_attempts": 1})
        with pytest.raises(ClientError) as info:
            client.converse(**CONVERSE_ARGS)
        client.close()

    assert server.paths == [CONVERSE_PATH]
    assert backoff_sleeps == []
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 0
