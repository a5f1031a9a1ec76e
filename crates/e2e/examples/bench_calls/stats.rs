//! Medians and ranges of timings, as the tables print them.

/// The median, least and greatest of some timings (ms).
pub struct Spread {
    /// How many.
    pub runs: usize,
    /// The middle value (the upper one of an even count).
    pub median: f64,
    /// The least.
    pub min: f64,
    /// The greatest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; none when there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = *sorted.get(sorted.len() / 2)?;
        Some(Spread { runs: sorted.len(), median, min: sorted[0], max: sorted[sorted.len() - 1] })
    }
}

/// Extension for an optional spread: a table cell, with the runs that gave nothing.
pub trait Describe {
    /// "20 runs: 25.1 ms (18.0–40.2)", followed by `missing` runs that ended in `why`.
    fn describe(&self, missing: usize, why: &str) -> String;
}

impl Describe for Option<Spread> {
    fn describe(&self, missing: usize, why: &str) -> String {
        let measured = match self {
            Some(s) => format!("{}: {} ({}–{})", s.runs, ms(s.median), ms(s.min), ms(s.max)),
            None => "none".into(),
        };
        if missing == 0 { measured } else { format!("{measured}; {missing}: {why}") }
    }
}

/// Milliseconds, or seconds from 10 s on.
fn ms(value: f64) -> String {
    if value >= 10_000.0 { format!("{:.1} s", value / 1000.0) } else { format!("{value:.1} ms") }
}

/// The ratio of the medians `theirs : ours`, "—" when either is missing.
pub fn ratio(theirs: &[f64], ours: &[f64]) -> String {
    match (Spread::of(theirs), Spread::of(ours)) {
        (Some(t), Some(o)) if o.median > 0.0 => format!("{:.1}×", t.median / o.median),
        _ => "—".into(),
    }
}
