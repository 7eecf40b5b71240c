//! Lenient field decoders shared by the models: `null` as default, paths as strings or objects,
//! and timestamps as epoch milliseconds or ISO-8601 strings.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Decodes `null` as the type's default instead of failing.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Decodes a file path given either as a string or as a `RestPath` object
/// (`{components, toString, …}`); the specification and servers disagree on comment anchors.
pub(crate) fn path_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::String(path)) => Some(path),
        Some(Value::Object(map)) => {
            if let Some(Value::String(path)) = map.get("toString") {
                Some(path.clone())
            } else if let Some(Value::Array(parts)) = map.get("components") {
                let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                Some(parts.join("/"))
            } else {
                None
            }
        }
        _ => None,
    })
}

/// Decodes a required timestamp as epoch milliseconds (`null` as 0); see [`timestamp_opt`].
pub(crate) fn timestamp<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(timestamp_opt(deserializer)?.unwrap_or_default())
}

/// Decodes an optional timestamp as epoch milliseconds. Bitbucket sends epoch milliseconds as a
/// JSON number (sometimes inside a string), and Data Center 10 sends some dates as ISO-8601
/// strings: `2018-07-05T05:01:10+0000`, or RFC 3339 `2018-07-05T05:01:10Z` /
/// `2018-07-05T05:01:10.123+00:00`. Every form is accepted; anything else fails the decode.
pub(crate) fn timestamp_opt<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<Value>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Value::Number(number)) => match number.as_i64() {
            Some(millis) => Ok(Some(millis)),
            // Whole milliseconds sent as a float (`1.7e12`); the cast saturates far outside
            // any real date.
            None => number
                .as_f64()
                .filter(|millis| millis.is_finite())
                .map(|millis| Some(millis.round() as i64))
                .ok_or_else(|| D::Error::custom(format!("timestamp {number} is out of range"))),
        },
        Some(Value::String(text)) => parse_timestamp(&text).map(Some).ok_or_else(|| {
            D::Error::custom(format!(
                "timestamp {text:?} is neither epoch milliseconds nor an ISO-8601 date-time"
            ))
        }),
        Some(other) => Err(D::Error::custom(format!(
            "expected a timestamp (epoch milliseconds or an ISO-8601 string), found {other}"
        ))),
    }
}

/// Parses epoch milliseconds in a string, or an ISO-8601 date-time with a zone
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM|±HH)`), into epoch milliseconds.
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(millis) = text.parse::<i64>() {
        return Some(millis);
    }
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = bytes.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let separator =
        |at: usize, expected: &[u8]| bytes.get(at).is_some_and(|b| expected.contains(b));
    if !(separator(4, b"-")
        && separator(7, b"-")
        && separator(10, b"Tt ")
        && separator(13, b":")
        && separator(16, b":"))
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix(['.', ',']) {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &fraction[..len.min(3)]);
        millis = padded.parse::<i64>().ok()?;
        rest = &fraction[len..];
    }
    let offset_seconds = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let zone = &rest[1..];
            if !zone.is_ascii() {
                return None;
            }
            let (hours, minutes) = match zone.len() {
                2 => (zone, "00"),
                4 => (&zone[..2], &zone[2..]),
                5 if zone.as_bytes()[2] == b':' => (&zone[..2], &zone[3..]),
                _ => return None,
            };
            if !(hours.bytes().chain(minutes.bytes())).all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds * 1000 + millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests;
