//! Class names in the MRO: transport failures are network (httpx and httpx2 alike, trap 1), names that
//! collide across packages mean what their package says (trap 13), and OSError alone is not network (14).

use super::fixtures::*;

#[test]
fn transport_classes_are_network() {
    let mut rows = Vec::new();
    for module in ["httpx", "httpx2"] {
        for chain in [
            &[
                "ConnectError",
                "NetworkError",
                "TransportError",
                "RequestError",
                "HTTPError",
            ][..],
            &[
                "ReadTimeout",
                "TimeoutException",
                "TransportError",
                "RequestError",
                "HTTPError",
            ],
            &[
                "PoolTimeout",
                "TimeoutException",
                "TransportError",
                "RequestError",
                "HTTPError",
            ],
            &[
                "ReadError",
                "NetworkError",
                "TransportError",
                "RequestError",
                "HTTPError",
            ],
            &[
                "RemoteProtocolError",
                "ProtocolError",
                "TransportError",
                "RequestError",
                "HTTPError",
            ],
        ] {
            rows.push(row("httpx transport error", sdk(module, chain), Network, true).says(module));
        }
    }
    for chain in [
        &[
            "ServerTimeoutError",
            "ServerConnectionError",
            "ClientConnectionError",
            "ClientError",
        ][..],
        &[
            "ConnectionTimeoutError",
            "ServerTimeoutError",
            "ServerConnectionError",
            "ClientConnectionError",
        ],
        &[
            "ServerDisconnectedError",
            "ServerConnectionError",
            "ClientConnectionError",
            "ClientError",
        ],
        &["ClientPayloadError", "ClientError"],
    ] {
        rows.push(row(
            "aiohttp",
            sdk("aiohttp.client_exceptions", chain),
            Network,
            true,
        ));
    }
    let chains: [(&str, &[(&str, &str)]); 13] = [
        (
            "requests ReadTimeout",
            &[
                ("requests.exceptions", "ReadTimeout"),
                ("requests.exceptions", "Timeout"),
            ],
        ),
        (
            "requests ChunkedEncodingError",
            &[
                ("requests.exceptions", "ChunkedEncodingError"),
                ("requests.exceptions", "RequestException"),
            ],
        ),
        (
            "urllib3 NewConnectionError",
            &[
                ("urllib3.exceptions", "NewConnectionError"),
                ("urllib3.exceptions", "HTTPError"),
            ],
        ),
        (
            "urllib3 ProtocolError",
            &[
                ("urllib3.exceptions", "ProtocolError"),
                ("urllib3.exceptions", "HTTPError"),
            ],
        ),
        (
            "urllib3 MaxRetryError",
            &[
                ("urllib3.exceptions", "MaxRetryError"),
                ("urllib3.exceptions", "RequestError"),
            ],
        ),
        (
            "mistral NoResponseError",
            &[("mistralai.client.errors", "NoResponseError")],
        ),
        (
            "botocore ConnectionClosedError",
            &[
                ("botocore.exceptions", "ConnectionClosedError"),
                ("botocore.exceptions", "HTTPClientError"),
            ],
        ),
        (
            "botocore EndpointConnectionError",
            &[
                ("botocore.exceptions", "EndpointConnectionError"),
                ("botocore.exceptions", "ConnectionError"),
                ("botocore.exceptions", "BotoCoreError"),
            ],
        ),
        (
            "requests ConnectionError, an OSError",
            &[
                ("requests.exceptions", "ConnectionError"),
                ("requests.exceptions", "RequestException"),
                ("builtins", "OSError"),
            ],
        ),
        (
            "aiohttp ClientOSError, an OSError",
            &[
                ("aiohttp.client_exceptions", "ClientOSError"),
                ("aiohttp.client_exceptions", "ClientConnectionError"),
                ("aiohttp.client_exceptions", "ClientError"),
                ("builtins", "OSError"),
            ],
        ),
        (
            "botocore ReadTimeoutError with urllib3's TimeoutError in its MRO",
            &[
                ("botocore.exceptions", "ReadTimeoutError"),
                ("botocore.exceptions", "HTTPClientError"),
                ("botocore.exceptions", "BotoCoreError"),
                ("botocore.vendored.requests.exceptions", "ReadTimeout"),
                ("botocore.vendored.requests.exceptions", "Timeout"),
                ("botocore.vendored.requests.exceptions", "RequestException"),
                ("builtins", "OSError"),
                (
                    "botocore.vendored.requests.packages.urllib3.exceptions",
                    "ReadTimeoutError",
                ),
                (
                    "botocore.vendored.requests.packages.urllib3.exceptions",
                    "TimeoutError",
                ),
            ],
        ),
        // Python <= 3.10: asyncio.TimeoutError is its own class.
        (
            "asyncio TimeoutError",
            &[("asyncio.exceptions", "TimeoutError")],
        ),
        // An unlisted *Timeout* class is a timeout, after the status has had its say.
        (
            "an unlisted *Timeout* class",
            &[("somelib", "UpstreamTimeoutError")],
        ),
    ];
    for (name, chain) in chains {
        rows.push(row(name, exc(chain), Network, true));
    }
    // Trap 12: properties that raise leave nothing but the class.
    let bare = connect_error("httpx2");
    assert!(bare.statuses.is_empty() && bare.messages.is_empty());
    rows.push(row(
        "a ConnectError with nothing but its class",
        bare,
        Network,
        true,
    ));
    rows.push(
        row(
            "builtins ConnectionRefusedError",
            exc(&[
                ("builtins", "ConnectionRefusedError"),
                ("builtins", "ConnectionError"),
                ("builtins", "OSError"),
            ]),
            Network,
            true,
        )
        .begins("ConnectionRefusedError (builtins), a ConnectionError"),
    );
    check(&default_rules(), rows);
}

#[test]
fn classes_that_are_not_what_their_name_suggests() {
    let httpx_local_protocol = sdk(
        "httpx2",
        &[
            "LocalProtocolError",
            "ProtocolError",
            "TransportError",
            "RequestError",
            "HTTPError",
        ],
    );
    check(
        &default_rules(),
        [
            row(
                "httpx LocalProtocolError",
                httpx_local_protocol,
                BadRequest,
                false,
            ),
            row(
                "tarfile ReadError",
                exc(&[("tarfile", "ReadError"), ("tarfile", "TarError")]),
                Unknown,
                false,
            ),
            // httpx's own ProtocolError base is not urllib3's.
            row(
                "a third-party ProtocolError",
                exc(&[("somelib", "ProtocolError")]),
                Unknown,
                false,
            ),
            row(
                "OSError ENOSPC",
                exc(&[("builtins", "OSError")])
                    .message("str(exc)", "[Errno 28] No space left on device"),
                Unknown,
                false,
            ),
            // Without a status (never seen, but the class alone says 501).
            row(
                "cohere NotImplementedError, class only",
                exc(&[
                    ("cohere.errors.not_implemented_error", "NotImplementedError"),
                    ("cohere.core.api_error", "ApiError"),
                ]),
                BadRequest,
                false,
            ),
            row(
                "builtin NotImplementedError",
                exc(&[
                    ("builtins", "NotImplementedError"),
                    ("builtins", "RuntimeError"),
                ]),
                Unknown,
                false,
            ),
            row(
                "anthropic EnforcedSpendLimitReachedError",
                anthropic(
                    &["EnforcedSpendLimitReachedError", "RateLimitError"],
                    429,
                    "rate_limit_error",
                    "You have reached your specified API usage limits.",
                ),
                QuotaExhausted,
                false,
            )
            .says("EnforcedSpendLimitReachedError (anthropic)"),
        ],
    );
}

#[test]
fn non_http_errors_from_the_same_sdks() {
    // Trap 23.
    check(
        &default_rules(),
        [
            row(
                "openai ContentFilterFinishReasonError",
                sdk("openai", &["ContentFilterFinishReasonError", "OpenAIError"]),
                ContentFiltered,
                false,
            ),
            row(
                "openai LengthFinishReasonError",
                sdk("openai", &["LengthFinishReasonError", "OpenAIError"]),
                BadRequest,
                false,
            ),
            row(
                "botocore NoCredentialsError",
                exc(&[
                    ("botocore.exceptions", "NoCredentialsError"),
                    ("botocore.exceptions", "BotoCoreError"),
                ]),
                Auth,
                false,
            ),
            row(
                "genai UnknownApiResponseError",
                exc(&[
                    ("google.genai.errors", "UnknownApiResponseError"),
                    ("builtins", "ValueError"),
                ]),
                Unknown,
                false,
            ),
        ],
    );
}
