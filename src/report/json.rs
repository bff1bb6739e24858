//! JSON export through serde: every result struct derives `Serialize`.

use crate::{Error, Result};
use serde::Serialize;

/// Renders `value` as pretty-printed JSON (two-space indent, no trailing newline).
///
/// Non-finite floats become `null` (serde_json's rule), so the output always parses.
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Error::invalid(format!("cannot render the result as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Point {
        ratio: f64,
        value: Option<f64>,
    }

    #[test]
    fn round_trips_through_serde_json() {
        let pts = vec![
            Point {
                ratio: 1.5,
                value: Some(0.25),
            },
            Point {
                ratio: 2.0,
                value: None,
            },
        ];
        let text = to_json_pretty(&pts).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["ratio"], 1.5);
        assert_eq!(v[0]["value"], 0.25);
        assert!(v[1]["value"].is_null());
        assert!(text.contains('\n'), "pretty output spans lines");
    }

    #[test]
    fn nan_becomes_null() {
        let text = to_json_pretty(&[f64::NAN, 1.0]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v[0].is_null());
        assert_eq!(v[1], 1.0);
    }
}
