//! Calendar dates and times in UTC, from milliseconds since 1970, as the CRMs' date fields
//! take them.

/// `YYYY-MM-DD` (a Salesforce Task's `ActivityDate`).
pub fn utc_date(ms: u64) -> String {
    let (year, month, day) = civil_from_days(ms / 86_400_000);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DD HH:MM:SS` (ServiceNow's date-time fields).
pub fn utc_date_time(ms: u64) -> String {
    let seconds = ms / 1_000 % 86_400;
    format!("{} {:02}:{:02}:{:02}", utc_date(ms), seconds / 3_600, seconds % 3_600 / 60, seconds % 60)
}

/// The proleptic Gregorian date `days` after 1970-01-01, era by era of 400 years (after
/// H. Hinnant's `civil_from_days`; times before 1970 do not occur here).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    (year_of_era + era * 400 + u64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_utc_civil_ones() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400_000), "2000-02-29");
        assert_eq!(utc_date(1_764_979_199_999), "2025-12-05");
        assert_eq!(utc_date(1_764_979_200_000), "2025-12-06");
        assert_eq!(utc_date(4_102_444_800_000), "2100-01-01");
        assert_eq!(utc_date_time(0), "1970-01-01 00:00:00");
        assert_eq!(utc_date_time(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc_date_time(1_709_251_199_999), "2024-02-29 23:59:59");
        assert_eq!(utc_date_time(4_102_444_800_000), "2100-01-01 00:00:00");
    }
}
