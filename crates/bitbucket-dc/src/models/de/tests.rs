//! Unit tests of the lenient decoders: every timestamp form, and the ones refused.

use serde::Deserialize;
use serde_json::json;

use super::parse_timestamp;

/// 2018-07-05T05:01:10Z in epoch milliseconds.
const JULY_5: i64 = 1_530_766_870_000;

#[test]
fn iso_timestamps_in_every_zone_form() {
    for text in [
        "2018-07-05T05:01:10+0000",
        "2018-07-05T05:01:10Z",
        "2018-07-05T05:01:10z",
        "2018-07-05T05:01:10+00:00",
        "2018-07-05T05:01:10+00",
        "2018-07-05T07:01:10+0200",
        "2018-07-05T07:01:10+02:00",
        "2018-07-04T23:31:10-05:30",
        "2018-07-04T23:31:10-0530",
    ] {
        assert_eq!(parse_timestamp(text), Some(JULY_5), "{text}");
    }
    assert_eq!(
        parse_timestamp("2018-07-05T05:01:10.123Z"),
        Some(JULY_5 + 123)
    );
    assert_eq!(
        parse_timestamp("2018-07-05T05:01:10.5+0000"),
        Some(JULY_5 + 500)
    );
    assert_eq!(
        parse_timestamp("2018-07-05T05:01:10.123456789+00:00"),
        Some(JULY_5 + 123)
    );
    assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_timestamp("1969-12-31T23:59:59Z"), Some(-1000));
    assert_eq!(
        parse_timestamp("2024-02-29T00:00:00Z"),
        Some(1_709_164_800_000)
    );
}

#[test]
fn epoch_milliseconds_in_a_string() {
    assert_eq!(parse_timestamp("1530766870000"), Some(JULY_5));
    assert_eq!(parse_timestamp(" 1530766870000 "), Some(JULY_5));
}

#[test]
fn malformed_timestamps_are_refused() {
    for text in [
        "",
        "yesterday",
        "2018-07-05",
        "2018-07-05T05:01:10",
        "2018-07-05T05:01:10+",
        "2018-07-05T05:01:10+0",
        "2018-07-05T05:01:10+000",
        "2018-07-05T05:01:10+24:00",
        "2018-07-05T05:01:10.Z",
        "2018-13-05T05:01:10Z",
        "2023-02-29T05:01:10Z",
        "2018-07-05T25:01:10Z",
        "2018/07/05T05:01:10Z",
        "2018-07-05T05:01:10Zjunk",
    ] {
        assert_eq!(parse_timestamp(text), None, "{text:?}");
    }
}

#[derive(Debug, Deserialize)]
struct Stamps {
    #[serde(deserialize_with = "super::timestamp")]
    required: i64,
    #[serde(default, deserialize_with = "super::timestamp_opt")]
    optional: Option<i64>,
}

#[test]
fn serde_helpers_accept_numbers_strings_and_null() {
    let stamps: Stamps =
        serde_json::from_value(json!({"required": JULY_5, "optional": "2018-07-05T05:01:10Z"}))
            .unwrap();
    assert_eq!((stamps.required, stamps.optional), (JULY_5, Some(JULY_5)));
    let stamps: Stamps =
        serde_json::from_value(json!({"required": null, "optional": null})).unwrap();
    assert_eq!((stamps.required, stamps.optional), (0, None));
    let stamps: Stamps = serde_json::from_value(json!({"required": 1.5307668700e12})).unwrap();
    assert_eq!((stamps.required, stamps.optional), (JULY_5, None));
    let err = serde_json::from_value::<Stamps>(json!({"required": "soon"})).unwrap_err();
    assert!(err.to_string().contains("\"soon\""), "{err}");
    assert!(serde_json::from_value::<Stamps>(json!({"required": true})).is_err());
}
