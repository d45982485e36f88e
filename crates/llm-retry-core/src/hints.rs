//! Server delay hints: retry-after, retry-after-ms, x-amz-retry-after, Google RetryInfo and the providers'
//! rate-limit reset headers (the IETF `ratelimit` header among them), a wait an SDK states in an attribute,
//! turned into a finite, non-negative number of seconds. Also x-should-retry.

use crate::backoff::LONGEST_DELAY_S;
use crate::classify::{ErrorFacts, Evidence};

/// The response headers `bindings` reads off an exception (lower-case). Nothing else is read.
pub const HEADER_NAMES: &[&str] = &[
    "retry-after-ms",
    "x-ms-retry-after-ms",
    "retry-after",
    "x-should-retry",
    "x-amz-retry-after",
    "x-amzn-errortype",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset",
    "x-ratelimit-remaining",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-reset",
    "anthropic-ratelimit-input-tokens-reset",
    "anthropic-ratelimit-output-tokens-reset",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-input-tokens-remaining",
    "anthropic-ratelimit-output-tokens-remaining",
    "ratelimit",
];

/// How a provider writes the moment a rate-limit bucket refills.
#[derive(Clone, Copy)]
enum ResetFormat {
    /// OpenAI, Groq: a Go duration from now ("6m0s", "120ms", "2m59.56s").
    GoDuration,
    /// Anthropic: an RFC 3339 timestamp ("2026-11-23T01:02:03Z").
    Rfc3339,
    /// Cohere: a unix epoch in seconds (cohere's SDK reads it so); small values are taken as seconds from now.
    EpochOrSeconds,
}

/// One rate-limit bucket: when it refills, and the header saying how much of it is left.
struct ResetHeader {
    reset: &'static str,
    remaining: &'static str,
    format: ResetFormat,
    source: &'static str,
}

const RESET_HEADERS: &[ResetHeader] = &[
    ResetHeader {
        reset: "x-ratelimit-reset-requests",
        remaining: "x-ratelimit-remaining-requests",
        format: ResetFormat::GoDuration,
        source: "x-ratelimit-reset-requests header",
    },
    ResetHeader {
        reset: "x-ratelimit-reset-tokens",
        remaining: "x-ratelimit-remaining-tokens",
        format: ResetFormat::GoDuration,
        source: "x-ratelimit-reset-tokens header",
    },
    ResetHeader {
        reset: "anthropic-ratelimit-requests-reset",
        remaining: "anthropic-ratelimit-requests-remaining",
        format: ResetFormat::Rfc3339,
        source: "anthropic-ratelimit-requests-reset header",
    },
    ResetHeader {
        reset: "anthropic-ratelimit-tokens-reset",
        remaining: "anthropic-ratelimit-tokens-remaining",
        format: ResetFormat::Rfc3339,
        source: "anthropic-ratelimit-tokens-reset header",
    },
    ResetHeader {
        reset: "anthropic-ratelimit-input-tokens-reset",
        remaining: "anthropic-ratelimit-input-tokens-remaining",
        format: ResetFormat::Rfc3339,
        source: "anthropic-ratelimit-input-tokens-reset header",
    },
    ResetHeader {
        reset: "anthropic-ratelimit-output-tokens-reset",
        remaining: "anthropic-ratelimit-output-tokens-remaining",
        format: ResetFormat::Rfc3339,
        source: "anthropic-ratelimit-output-tokens-reset header",
    },
    ResetHeader {
        reset: "x-ratelimit-reset",
        remaining: "x-ratelimit-remaining",
        format: ResetFormat::EpochOrSeconds,
        source: "x-ratelimit-reset header",
    },
];

/// Cohere's `x-ratelimit-reset` above this is a unix epoch (2001-09-09), below it seconds from now.
const EPOCH_THRESHOLD_S: f64 = 1e9;

/// A header that states the wait outright.
struct DelayHeader {
    name: &'static str,
    source: &'static str,
    format: DelayFormat,
}

#[derive(Clone, Copy)]
enum DelayFormat {
    /// A non-negative decimal number of milliseconds.
    Milliseconds,
    /// A non-negative decimal number of seconds ("20", "1.5"), or an HTTP-date.
    SecondsOrHttpDate,
}

/// In priority order: every SDK that reads retry-after-ms prefers it to retry-after.
const DELAY_HEADERS: &[DelayHeader] = &[
    DelayHeader {
        name: "retry-after-ms",
        source: "retry-after-ms header",
        format: DelayFormat::Milliseconds,
    },
    // Azure (OpenAI and AI Inference) sends its own name for the same value.
    DelayHeader {
        name: "x-ms-retry-after-ms",
        source: "x-ms-retry-after-ms header",
        format: DelayFormat::Milliseconds,
    },
    DelayHeader {
        name: "retry-after",
        source: "retry-after header",
        format: DelayFormat::SecondsOrHttpDate,
    },
    // botocore's hint, in milliseconds unlike retry-after.
    DelayHeader {
        name: "x-amz-retry-after",
        source: "x-amz-retry-after header",
        format: DelayFormat::Milliseconds,
    },
];

/// The server's requested delay in seconds and the header/body field it came from.
///
/// Sources, first usable one wins: `retry-after-ms` → `x-ms-retry-after-ms` → `retry-after` (seconds or
/// HTTP-date) → `x-amz-retry-after` (ms) → the body's `RetryInfo.retryDelay` → a wait the SDK stated in an
/// attribute or body field (`stated_delay`) → and only when `rate_limited`, the providers' rate-limit reset
/// headers and the IETF `ratelimit` header. A value that is garbage, negative, NaN or infinite is no
/// hint and the next source is tried; a date in the past is 0. The result is finite, >= 0 and at
/// most a year.
pub fn server_delay_s(
    facts: &ErrorFacts,
    rate_limited: bool,
    now_unix_s: f64,
) -> Option<Evidence<f64>> {
    let hint = delay_header_hint(facts, now_unix_s)
        .or_else(|| {
            let delay_s = parse_google_duration(facts.body_retry_delay.as_deref()?)?;
            Some(Evidence::new("RetryInfo.retryDelay in the body", delay_s))
        })
        .or_else(|| {
            let stated = facts.stated_delay.as_ref()?;
            let delay_s = stated.value;
            (delay_s.is_finite() && delay_s >= 0.0)
                .then(|| Evidence::new(stated.source, delay_s + 0.0))
        })
        // A reset header says when a bucket refills, not that the server wants a wait: it is only a
        // hint when the error is a rate limit (a 500 carries these headers too).
        .or_else(|| {
            rate_limited
                .then(|| reset_hint(facts, now_unix_s).or_else(|| ietf_ratelimit_hint(facts)))
                .flatten()
        })?;
    Some(Evidence::new(hint.source, hint.value.min(LONGEST_DELAY_S)))
}

/// `x-should-retry: true|false`, if present and well-formed.
pub fn should_retry(facts: &ErrorFacts) -> Option<bool> {
    let value = facts.header("x-should-retry")?.trim();
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The first of `DELAY_HEADERS` present with a usable value.
fn delay_header_hint(facts: &ErrorFacts, now_unix_s: f64) -> Option<Evidence<f64>> {
    DELAY_HEADERS.iter().find_map(|header| {
        let value = facts.header(header.name)?;
        let delay_s = match header.format {
            DelayFormat::Milliseconds => parse_seconds(value).map(|ms| ms / 1000.0),
            DelayFormat::SecondsOrHttpDate => parse_seconds(value)
                .or_else(|| seconds_until(parse_http_date(value, now_unix_s)?, now_unix_s)),
        }?;
        Some(Evidence::new(header.source, delay_s))
    })
}

/// The latest refill among the exhausted buckets (remaining "0"), or among all of them when none is
/// exhausted or none says what is left.
fn reset_hint(facts: &ErrorFacts, now_unix_s: f64) -> Option<Evidence<f64>> {
    let resets: Vec<(Evidence<f64>, bool)> = RESET_HEADERS
        .iter()
        .filter_map(|bucket| {
            let value = facts.header(bucket.reset)?;
            let delay_s = match bucket.format {
                ResetFormat::GoDuration => parse_go_duration(value),
                ResetFormat::Rfc3339 => seconds_until(parse_rfc3339(value)?, now_unix_s),
                ResetFormat::EpochOrSeconds => {
                    let number = parse_seconds(value)?;
                    if number > EPOCH_THRESHOLD_S {
                        seconds_until(number, now_unix_s)
                    } else {
                        Some(number)
                    }
                }
            }?;
            let exhausted = facts.header(bucket.remaining).and_then(parse_seconds) == Some(0.0);
            Some((Evidence::new(bucket.source, delay_s), exhausted))
        })
        .collect();
    let latest = |exhausted_only: bool| {
        resets
            .iter()
            .filter(|(_, exhausted)| *exhausted || !exhausted_only)
            .map(|(evidence, _)| evidence)
            .max_by(|a, b| a.value.total_cmp(&b.value))
            .cloned()
    };
    latest(true).or_else(|| latest(false))
}

/// The IETF `ratelimit` header (draft-ietf-httpapi-ratelimit-headers), which Hugging Face sends:
/// `"api";r=0;t=55` (remaining 0, refills in 55 s), or the older `limit=100, remaining=0, reset=55`. A hint
/// only when nothing is left (or the header does not say).
fn ietf_ratelimit_hint(facts: &ErrorFacts) -> Option<Evidence<f64>> {
    let value = facts.header("ratelimit")?;
    let mut remaining = None;
    let mut reset = None;
    for part in value.split([';', ',']) {
        let Some((key, number)) = part.split_once('=') else {
            continue;
        };
        match key.trim() {
            "r" | "remaining" => remaining = remaining.or_else(|| parse_seconds(number)),
            "t" | "reset" => reset = reset.or_else(|| parse_seconds(number)),
            _ => {}
        }
    }
    if remaining.is_some_and(|left| left > 0.0) {
        return None;
    }
    Some(Evidence::new("ratelimit header", reset?))
}

/// A plain non-negative decimal ("20", "1.5", "0"). Negative, NaN, infinite ("1e309") or not a number: None.
fn parse_seconds(value: &str) -> Option<f64> {
    let number: f64 = value.trim().parse().ok()?;
    // `+ 0.0` turns "-0" into 0.
    (number.is_finite() && number >= 0.0).then_some(number + 0.0)
}

/// Seconds from `now_unix_s` to `at_unix_s`; 0 when it is past, None when either is not finite.
fn seconds_until(at_unix_s: f64, now_unix_s: f64) -> Option<f64> {
    let delay_s = at_unix_s - now_unix_s;
    delay_s.is_finite().then_some(delay_s.max(0.0))
}

/// A protobuf JSON Duration ("20s", "1.5s", "0.300s"). A bare number is taken as seconds, and a Go duration
/// ("1m30s") is accepted too.
fn parse_google_duration(value: &str) -> Option<f64> {
    parse_seconds(value).or_else(|| parse_go_duration(value))
}

/// A Go `time.Duration` string: "6m0s", "120ms", "2m59.56s", "1h2m3.5s", "7.66s", "0". Negative: None.
fn parse_go_duration(value: &str) -> Option<f64> {
    let value = value.trim();
    let mut rest = value.strip_prefix('+').unwrap_or(value);
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_s = 0.0;
    while !rest.is_empty() {
        // Both lengths count ASCII bytes or stop at a char boundary, so the slices below are safe.
        let number_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let number = &rest[..number_len];
        if !number.bytes().any(|b| b.is_ascii_digit())
            || number.bytes().filter(|b| *b == b'.').count() > 1
        {
            return None;
        }
        let amount: f64 = number.parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit_s = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            // Go accepts both the micro sign (U+00B5) and the Greek mu (U+03BC).
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total_s += amount * unit_s;
        rest = &rest[unit_len..];
    }
    total_s.is_finite().then_some(total_s)
}

/// An HTTP-date (RFC 9110 §5.6.7) as unix seconds: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
/// "Sunday, 06-Nov-94 08:49:37 GMT" or asctime "Sun Nov  6 08:49:37 1994". The weekday is checked to be a
/// weekday name but not against the date.
fn parse_http_date(value: &str, now_unix_s: f64) -> Option<f64> {
    let mut tokens = [""; 6];
    let mut count = 0;
    for token in value.split_ascii_whitespace() {
        *tokens.get_mut(count)? = token;
        count += 1;
    }
    let (day, month, year, time) = match &tokens[..count] {
        [weekday, day, month, year, time, zone] => {
            weekday_name(weekday.strip_suffix(',')?)?;
            gmt(zone)?;
            (
                digits(day, 1, 2)?,
                month_number(month)?,
                digits(year, 4, 4)?,
                *time,
            )
        }
        [weekday, date, time, zone] => {
            weekday_name(weekday.strip_suffix(',')?)?;
            gmt(zone)?;
            let mut parts = date.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            let year = match year.len() {
                2 => rfc850_year(digits(year, 2, 2)?, now_unix_s),
                _ => digits(year, 4, 4)?,
            };
            (digits(day, 1, 2)?, month_number(month)?, year, *time)
        }
        [weekday, month, day, time, year] => {
            weekday_name(weekday)?;
            (
                digits(day, 1, 2)?,
                month_number(month)?,
                digits(year, 4, 4)?,
                *time,
            )
        }
        _ => return None,
    };
    let time = time.as_bytes();
    if time.len() != 8 || time[2] != b':' || time[5] != b':' {
        return None;
    }
    let clock = Clock {
        hour: ascii_digits(&time[0..2])?,
        minute: ascii_digits(&time[3..5])?,
        second: ascii_digits(&time[6..8])?,
    };
    unix_seconds(i64::from(year), month, day, clock)
}

/// RFC 9110: a two-digit year more than 50 years in the future is the most recent past year ending so.
fn rfc850_year(two_digits: u32, now_unix_s: f64) -> u32 {
    let this_year = current_year(now_unix_s).unwrap_or(2000);
    let mut year = this_year - this_year.rem_euclid(100) + i64::from(two_digits);
    if year > this_year + 50 {
        year -= 100;
    }
    u32::try_from(year).unwrap_or(2000 + two_digits)
}

fn current_year(now_unix_s: f64) -> Option<i64> {
    let days = (now_unix_s / 86_400.0).floor();
    // Within ±1e8 days (±270,000 years) the civil arithmetic cannot overflow.
    (days.abs() < 1e8).then(|| civil_year(days as i64))
}

fn weekday_name(name: &str) -> Option<()> {
    const WEEKDAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    WEEKDAYS
        .iter()
        .any(|full| name.eq_ignore_ascii_case(full) || name.eq_ignore_ascii_case(&full[..3]))
        .then_some(())
}

fn gmt(zone: &str) -> Option<()> {
    (zone.eq_ignore_ascii_case("GMT") || zone.eq_ignore_ascii_case("UTC")).then_some(())
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let index = MONTHS
        .iter()
        .position(|month| name.eq_ignore_ascii_case(month))?;
    u32::try_from(index + 1).ok()
}

/// An RFC 3339 timestamp as unix seconds: "2026-11-23T01:02:03Z", "2026-11-23T01:02:03.25+01:00".
fn parse_rfc3339(value: &str) -> Option<f64> {
    let bytes = value.trim().as_bytes();
    // Shortest form: "YYYY-MM-DDTHH:MM:SSZ".
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = ascii_digits(&bytes[0..4])?;
    let month = ascii_digits(&bytes[5..7])?;
    let day = ascii_digits(&bytes[8..10])?;
    let clock = Clock {
        hour: ascii_digits(&bytes[11..13])?,
        minute: ascii_digits(&bytes[14..16])?,
        second: ascii_digits(&bytes[17..19])?,
    };
    let mut rest = &bytes[19..];
    let mut fraction_s = 0.0;
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let len = after_dot.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        // "0." followed by ASCII digits is valid UTF-8 and a valid float.
        let mut text = String::from("0.");
        text.extend(after_dot[..len].iter().map(|b| char::from(*b)));
        fraction_s = text.parse().ok()?;
        rest = &after_dot[len..];
    }
    let offset_s = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = ascii_digits(&[*h1, *h2])?;
            let minutes = ascii_digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset_s = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' {
                -offset_s
            } else {
                offset_s
            }
        }
        _ => return None,
    };
    // "+01:00" means local time is an hour ahead of UTC, so UTC is the local time minus the offset.
    Some(unix_seconds(i64::from(year), month, day, clock)? + fraction_s - offset_s as f64)
}

#[derive(Clone, Copy)]
struct Clock {
    hour: u32,
    minute: u32,
    second: u32,
}

/// Unix seconds of a validated UTC civil date and time (second 60, a leap second, is allowed).
fn unix_seconds(year: i64, month: u32, day: u32, clock: Clock) -> Option<f64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if clock.hour > 23 || clock.minute > 59 || clock.second > 60 {
        return None;
    }
    let seconds_of_day = i64::from(clock.hour * 3600 + clock.minute * 60 + clock.second);
    Some((days_from_civil(year, month, day) * 86_400 + seconds_of_day) as f64)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil year of a day count since 1970-01-01 (the year half of Hinnant's `civil_from_days`).
fn civil_year(days: i64) -> i64 {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let year = year_of_era + era * 400;
    // Months counted from March: January and February (10, 11) belong to the next civil year.
    if month_from_march >= 10 {
        year + 1
    } else {
        year
    }
}

/// Between `min_len` and `max_len` ASCII digits, nothing else (unlike `str::parse`, no sign).
fn digits(text: &str, min_len: usize, max_len: usize) -> Option<u32> {
    (min_len..=max_len).contains(&text.len()).then_some(())?;
    ascii_digits(text.as_bytes())
}

/// At most 9 ASCII digits, so the value fits a u32.
fn ascii_digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 9 {
        return None;
    }
    bytes.iter().try_fold(0u32, |value, b| {
        b.is_ascii_digit().then(|| value * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2023-11-14T22:13:20Z, a Tuesday.
    const NOW: f64 = 1_700_000_000.0;

    fn facts(headers: &[(&str, &str)]) -> ErrorFacts {
        ErrorFacts {
            headers: headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            ..ErrorFacts::default()
        }
    }

    fn hint(headers: &[(&str, &str)]) -> Option<(&'static str, f64)> {
        server_delay_s(&facts(headers), true, NOW).map(|e| (e.source, e.value))
    }

    fn delay(headers: &[(&str, &str)]) -> Option<f64> {
        hint(headers).map(|(_, value)| value)
    }

    fn close(actual: Option<f64>, expected: f64) -> bool {
        actual.is_some_and(|actual| (actual - expected).abs() < 1e-6)
    }

    #[test]
    fn the_calendar_matches_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(civil_year(0), 1970);
        assert_eq!(civil_year(-1), 1969);
        assert_eq!(civil_year(days_from_civil(2024, 2, 29)), 2024);
        assert_eq!(civil_year(days_from_civil(2023, 12, 31)), 2023);
        assert_eq!(civil_year(days_from_civil(2024, 1, 1)), 2024);
        assert_eq!(current_year(NOW), Some(2023));
        assert_eq!(current_year(f64::NAN), None);
        assert_eq!(current_year(f64::INFINITY), None);
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(
            hint(&[("retry-after", "20")]),
            Some(("retry-after header", 20.0))
        );
        assert_eq!(delay(&[("retry-after", "1.5")]), Some(1.5));
        assert_eq!(delay(&[("retry-after", "0")]), Some(0.0));
        assert_eq!(delay(&[("retry-after", " 3600 ")]), Some(3600.0));
        assert_eq!(
            delay(&[("retry-after", "-0")]).map(f64::to_bits),
            Some(0f64.to_bits())
        );
    }

    #[test]
    fn unusable_retry_after_is_no_hint() {
        for value in [
            "-3", "soon", "", "   ", "1e309", "NaN", "nan", "inf", "-inf", "infinity", "0x10", "½",
        ] {
            assert_eq!(delay(&[("retry-after", value)]), None, "{value:?}");
        }
    }

    #[test]
    fn absurd_values_are_capped_at_a_year() {
        assert_eq!(delay(&[("retry-after", "1e300")]), Some(LONGEST_DELAY_S));
        assert_eq!(delay(&[("retry-after-ms", "1e300")]), Some(LONGEST_DELAY_S));
        assert_eq!(
            delay(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]),
            Some(LONGEST_DELAY_S)
        );
    }

    #[test]
    fn retry_after_as_imf_fixdate() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", NOW),
            Some(784_111_777.0)
        );
        assert_eq!(
            delay(&[("retry-after", "Tue, 14 Nov 2023 22:14:20 GMT")]),
            Some(60.0)
        );
        assert_eq!(
            delay(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]),
            Some(0.0)
        );
    }

    #[test]
    fn retry_after_as_rfc850_date() {
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", NOW),
            Some(784_111_777.0)
        );
        assert_eq!(
            delay(&[("retry-after", "Tuesday, 14-Nov-23 22:15:20 GMT")]),
            Some(120.0)
        );
        assert_eq!(
            delay(&[("retry-after", "Sunday, 06-Nov-94 08:49:37 GMT")]),
            Some(0.0)
        );
    }

    #[test]
    fn retry_after_as_asctime() {
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994", NOW),
            Some(784_111_777.0)
        );
        assert_eq!(
            delay(&[("retry-after", "Tue Nov 14 22:13:50 2023")]),
            Some(30.0)
        );
    }

    #[test]
    fn malformed_dates_are_no_hint() {
        for value in [
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94-1 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994 extra tokens here",
            "Sun, 06 Nov 1994 08:49:\u{e9}7 GMT",
        ] {
            assert_eq!(delay(&[("retry-after", value)]), None, "{value:?}");
        }
    }

    #[test]
    fn a_date_with_an_unknown_now_is_no_hint() {
        let f = facts(&[("retry-after", "Tue, 14 Nov 2023 22:14:20 GMT")]);
        assert_eq!(server_delay_s(&f, true, f64::NAN), None);
        assert_eq!(server_delay_s(&f, true, f64::INFINITY), None);
        // A plain number needs no clock.
        let f = facts(&[("retry-after", "5")]);
        assert_eq!(
            server_delay_s(&f, true, f64::NAN).map(|e| e.value),
            Some(5.0)
        );
    }

    #[test]
    fn retry_after_ms_wins_over_retry_after() {
        assert_eq!(
            hint(&[("retry-after", "20"), ("retry-after-ms", "1500")]),
            Some(("retry-after-ms header", 1.5))
        );
        assert_eq!(delay(&[("retry-after-ms", "250.5")]), Some(0.2505));
        // An unusable ms value falls through to retry-after.
        assert_eq!(
            hint(&[("retry-after-ms", "NaN"), ("retry-after", "20")]),
            Some(("retry-after header", 20.0))
        );
        assert_eq!(
            delay(&[("retry-after-ms", "-5"), ("retry-after", "soon")]),
            None
        );
    }

    #[test]
    fn x_amz_retry_after_is_milliseconds() {
        assert_eq!(
            hint(&[("x-amz-retry-after", "2500")]),
            Some(("x-amz-retry-after header", 2.5))
        );
        assert_eq!(
            hint(&[("x-amz-retry-after", "2500"), ("retry-after", "soon")]),
            Some(("x-amz-retry-after header", 2.5))
        );
        assert_eq!(
            delay(&[("x-amz-retry-after", "2500"), ("retry-after", "7")]),
            Some(7.0)
        );
    }

    #[test]
    fn body_retry_delay() {
        let body = |text: &str| ErrorFacts {
            body_retry_delay: Some(text.to_string()),
            ..ErrorFacts::default()
        };
        let value = |text: &str| server_delay_s(&body(text), false, NOW).map(|e| e.value);
        assert_eq!(
            server_delay_s(&body("20s"), false, NOW),
            Some(Evidence::new("RetryInfo.retryDelay in the body", 20.0))
        );
        assert_eq!(value("1.5s"), Some(1.5));
        assert!(close(value("0.300s"), 0.3));
        assert_eq!(value("20"), Some(20.0));
        assert_eq!(value("1m30s"), Some(90.0));
        for garbage in ["-3s", "s", "", "NaNs", "infs", "20 seconds", "1e309s"] {
            assert_eq!(value(garbage), None, "{garbage:?}");
        }
        // Headers come first.
        let mut f = body("20s");
        f.headers.push(("retry-after".to_string(), "3".to_string()));
        assert_eq!(server_delay_s(&f, false, NOW).map(|e| e.value), Some(3.0));
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("6m0s"), Some(360.0));
        assert!(close(parse_go_duration("120ms"), 0.12));
        assert!(close(parse_go_duration("2m59.56s"), 179.56));
        assert!(close(parse_go_duration("1h2m3.5s"), 3723.5));
        assert!(close(parse_go_duration("7.66s"), 7.66));
        assert!(close(parse_go_duration("1.5h"), 5400.0));
        assert!(close(parse_go_duration("300us"), 0.0003));
        assert!(close(parse_go_duration("300\u{b5}s"), 0.0003));
        assert!(close(parse_go_duration("300\u{3bc}s"), 0.0003));
        assert!(close(parse_go_duration("5ns"), 5e-9));
        assert_eq!(parse_go_duration("0"), Some(0.0));
        assert_eq!(parse_go_duration("+1s"), Some(1.0));
        for garbage in [
            "",
            "5",
            "-1s",
            "1.2.3s",
            ".s",
            "1d",
            "1 s",
            "s1",
            "1sm",
            "NaNs",
            "1e5s",
            "9".repeat(400).as_str(),
        ] {
            assert_eq!(parse_go_duration(garbage), None, "{garbage:?}");
        }
        let huge = format!("{}h", "9".repeat(400));
        assert_eq!(parse_go_duration(&huge), None);
    }

    #[test]
    fn openai_reset_headers() {
        assert_eq!(
            hint(&[
                ("x-ratelimit-reset-requests", "6m0s"),
                ("x-ratelimit-reset-tokens", "120ms")
            ]),
            Some(("x-ratelimit-reset-requests header", 360.0))
        );
        assert_eq!(
            hint(&[
                ("x-ratelimit-reset-requests", "6m0s"),
                ("x-ratelimit-remaining-requests", "12"),
                ("x-ratelimit-reset-tokens", "7.66s"),
                ("x-ratelimit-remaining-tokens", "0"),
            ]),
            Some(("x-ratelimit-reset-tokens header", 7.66))
        );
    }

    #[test]
    fn remaining_above_zero_everywhere_takes_the_latest_reset() {
        assert_eq!(
            hint(&[
                ("x-ratelimit-reset-requests", "2m59.56s"),
                ("x-ratelimit-remaining-requests", "3"),
                ("x-ratelimit-reset-tokens", "7.66s"),
                ("x-ratelimit-remaining-tokens", "1000"),
            ]),
            Some(("x-ratelimit-reset-requests header", 179.56))
        );
    }

    #[test]
    fn an_exhausted_bucket_with_a_garbage_reset_is_skipped() {
        assert_eq!(
            hint(&[
                ("x-ratelimit-reset-requests", "soon"),
                ("x-ratelimit-remaining-requests", "0"),
                ("x-ratelimit-reset-tokens", "7.66s"),
                ("x-ratelimit-remaining-tokens", "5"),
            ]),
            Some(("x-ratelimit-reset-tokens header", 7.66))
        );
    }

    #[test]
    fn anthropic_reset_headers_are_rfc3339() {
        // 2023-11-14T23:13:21.5+01:00 is 22:13:21.5Z, 1.5 s after NOW.
        assert!(close(
            delay(&[(
                "anthropic-ratelimit-requests-reset",
                "2023-11-14T23:13:21.5+01:00"
            )]),
            1.5
        ));
        assert!(close(
            delay(&[(
                "anthropic-ratelimit-tokens-reset",
                "2023-11-14T21:13:30.250-01:00"
            )]),
            10.25
        ));
        assert_eq!(
            delay(&[("anthropic-ratelimit-tokens-reset", "2023-11-14T22:13:50Z")]),
            Some(30.0)
        );
        assert_eq!(
            delay(&[("anthropic-ratelimit-tokens-reset", "2020-01-01T00:00:00Z")]),
            Some(0.0)
        );
        assert_eq!(
            hint(&[
                ("anthropic-ratelimit-requests-reset", "2023-11-14T22:14:20Z"),
                ("anthropic-ratelimit-requests-remaining", "40"),
                (
                    "anthropic-ratelimit-input-tokens-reset",
                    "2023-11-14T22:13:25Z"
                ),
                ("anthropic-ratelimit-input-tokens-remaining", "0"),
                (
                    "anthropic-ratelimit-output-tokens-reset",
                    "2023-11-14T22:13:22Z"
                ),
                ("anthropic-ratelimit-output-tokens-remaining", "800"),
            ]),
            Some(("anthropic-ratelimit-input-tokens-reset header", 5.0))
        );
    }

    #[test]
    fn rfc3339_forms() {
        let at = |text| parse_rfc3339(text);
        let expected = (days_from_civil(2026, 11, 23) * 86_400 + 3723) as f64;
        assert_eq!(at("2026-11-23T01:02:03Z"), Some(expected));
        assert_eq!(at("2026-11-23t01:02:03z"), Some(expected));
        assert_eq!(at("2026-11-23 01:02:03Z"), Some(expected));
        assert_eq!(at("2026-11-23T01:02:03+00:00"), Some(expected));
        assert_eq!(at("2026-11-23T02:02:03+01:00"), Some(expected));
        assert_eq!(at("2026-11-22T19:32:03-05:30"), Some(expected));
        assert_eq!(
            at("2026-11-23T01:02:03.123456789Z"),
            Some(expected + 0.123456789)
        );
        for garbage in [
            "2026-11-23T01:02:03",
            "2026-11-23T01:02:03.Z",
            "2026-13-23T01:02:03Z",
            "2026-02-29T01:02:03Z",
            "2026-11-23T01:02:03+24:00",
            "2026-11-23T01:02:03+0100",
            "2026-11-23X01:02:03Z",
            "+026-11-23T01:02:03Z",
            "2026-11-23T01:02:03Zjunk",
            "2026-11-\u{e9}3T01:02:03Z",
            "",
        ] {
            assert_eq!(at(garbage), None, "{garbage:?}");
        }
        assert!(at("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn cohere_reset_is_an_epoch_or_seconds() {
        assert_eq!(
            hint(&[("x-ratelimit-reset", "1700000045")]),
            Some(("x-ratelimit-reset header", 45.0))
        );
        assert_eq!(delay(&[("x-ratelimit-reset", "1699999000")]), Some(0.0));
        assert_eq!(delay(&[("x-ratelimit-reset", "12")]), Some(12.0));
        assert_eq!(delay(&[("x-ratelimit-reset", "-12")]), None);
    }

    #[test]
    fn reset_headers_only_count_for_rate_limits() {
        let f = facts(&[
            ("x-ratelimit-reset-requests", "6m0s"),
            ("anthropic-ratelimit-tokens-reset", "2023-11-14T22:13:50Z"),
            ("x-ratelimit-reset", "1700000045"),
        ]);
        assert_eq!(server_delay_s(&f, false, NOW), None);
        assert!(server_delay_s(&f, true, NOW).is_some());
    }

    #[test]
    fn explicit_hints_beat_reset_headers() {
        assert_eq!(
            hint(&[("x-ratelimit-reset-requests", "6m0s"), ("retry-after", "2")]),
            Some(("retry-after header", 2.0))
        );
    }

    #[test]
    fn garbage_only_headers_give_no_hint() {
        let garbage = [
            ("retry-after-ms", "later"),
            ("retry-after", "soon"),
            ("x-amz-retry-after", "NaN"),
            ("x-ratelimit-reset-requests", "-6m"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-tokens", ""),
            ("anthropic-ratelimit-tokens-reset", "tomorrow"),
            ("x-ratelimit-reset", "inf"),
        ];
        assert_eq!(delay(&garbage), None);
        let body = ErrorFacts {
            body_retry_delay: Some("soon".to_string()),
            ..facts(&garbage)
        };
        assert_eq!(server_delay_s(&body, true, NOW), None);
        assert_eq!(server_delay_s(&ErrorFacts::default(), true, NOW), None);
    }

    #[test]
    fn every_hint_is_finite_and_non_negative() {
        let values = [
            "0",
            "-0",
            "1",
            "-1",
            "1e308",
            "-1e308",
            "1e309",
            "NaN",
            "inf",
            "",
            "\u{0}",
            "9".repeat(500).as_str(),
            "2023-11-14T22:13:50Z",
            "Tue, 14 Nov 2023 22:14:20 GMT",
            "6m0s",
            "20s",
        ]
        .map(str::to_string);
        for name in HEADER_NAMES {
            for value in &values {
                for now in [NOW, 0.0, -1e300, 1e300, f64::NAN, f64::INFINITY] {
                    let f = ErrorFacts {
                        headers: vec![(name.to_string(), value.clone())],
                        body_retry_delay: Some(value.clone()),
                        ..ErrorFacts::default()
                    };
                    if let Some(e) = server_delay_s(&f, true, now) {
                        assert!(
                            e.value.is_finite() && (0.0..=LONGEST_DELAY_S).contains(&e.value),
                            "{name}: {value:?} at {now} gave {}",
                            e.value
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn should_retry_reads_true_and_false_only() {
        let read = |value: &str| should_retry(&facts(&[("x-should-retry", value)]));
        assert_eq!(read("true"), Some(true));
        assert_eq!(read(" TRUE "), Some(true));
        assert_eq!(read("false"), Some(false));
        assert_eq!(read("False"), Some(false));
        assert_eq!(read("1"), None);
        assert_eq!(read("yes"), None);
        assert_eq!(read(""), None);
        assert_eq!(should_retry(&ErrorFacts::default()), None);
    }

    #[test]
    fn azure_x_ms_retry_after_ms_is_milliseconds_and_yields_to_retry_after_ms() {
        assert_eq!(
            hint(&[("x-ms-retry-after-ms", "1500"), ("retry-after", "9")]),
            Some(("x-ms-retry-after-ms header", 1.5))
        );
        assert_eq!(
            hint(&[("x-ms-retry-after-ms", "1500"), ("retry-after-ms", "250")]),
            Some(("retry-after-ms header", 0.25))
        );
    }

    #[test]
    fn ietf_ratelimit_header_when_nothing_is_left() {
        assert_eq!(
            hint(&[("ratelimit", "\"api\";r=0;t=55")]),
            Some(("ratelimit header", 55.0))
        );
        assert_eq!(
            hint(&[("ratelimit", "limit=100, remaining=0, reset=12")]),
            Some(("ratelimit header", 12.0))
        );
        // Requests are left: the bucket is not why the call failed.
        assert_eq!(hint(&[("ratelimit", "\"api\";r=3;t=55")]), None);
        assert_eq!(hint(&[("ratelimit", "\"api\";r=0")]), None);
        // A reset is no wait unless the error is a rate limit.
        let f = facts(&[("ratelimit", "\"api\";r=0;t=55")]);
        assert!(server_delay_s(&f, false, NOW).is_none());
    }

    #[test]
    fn a_stated_delay_comes_after_the_headers_and_retry_info() {
        let stated = |value: f64| ErrorFacts {
            stated_delay: Some(Evidence::new("body.estimated_time", value)),
            ..ErrorFacts::default()
        };
        let f = stated(20.5);
        let got = server_delay_s(&f, false, NOW).map(|e| (e.source, e.value));
        assert_eq!(got, Some(("body.estimated_time", 20.5)));
        let mut f = stated(20.5);
        f.headers.push(("retry-after".into(), "3".into()));
        assert_eq!(server_delay_s(&f, false, NOW).map(|e| e.value), Some(3.0));
        let mut f = stated(20.5);
        f.body_retry_delay = Some("7s".into());
        assert_eq!(server_delay_s(&f, false, NOW).map(|e| e.value), Some(7.0));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(server_delay_s(&stated(bad), true, NOW).is_none(), "{bad}");
        }
        assert_eq!(
            server_delay_s(&stated(1e12), true, NOW).map(|e| e.value),
            Some(LONGEST_DELAY_S)
        );
    }
}
