//! Time as the service stores it (milliseconds since 1970, UTC) and shows it (RFC 3339).

use std::time::{SystemTime, UNIX_EPOCH};

use framephone::activity::utc_time::utc_date_time;

/// Milliseconds since 1970 now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `ms` since 1970 as RFC 3339 in UTC, to the second: `2026-12-06T07:15:00Z` (the CRMs' own
/// calendar arithmetic, shared with the widget).
pub fn rfc3339(ms: i64) -> String {
    format!("{}Z", utc_date_time(ms.max(0) as u64).replace(' ', "T"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_come_out_in_rfc_3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339((951_782_400 + 3_723) * 1000 + 999), "2000-02-29T01:02:03Z", "a leap day");
        assert_eq!(rfc3339(1_767_225_599_000), "2025-12-31T23:59:59Z");
    }
}
