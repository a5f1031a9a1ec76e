//! A control pressed again soon after its last press, before the model has changed, is the
//! same press repeated (a double click, a held Enter) while the first one's result is on its
//! way: it is not carried out twice. The model changes only once the server answers, or a
//! moment later, so the control itself may still look ready meanwhile.

use leptos::prelude::*;

/// Presses of one control this close together count as one, unless the model changed between.
const WITHIN_MS: f64 = 1_000.0;

/// When one control was last pressed.
#[derive(Clone, Copy)]
pub struct RepeatGuard(StoredValue<f64>);

impl Default for RepeatGuard {
    fn default() -> RepeatGuard {
        RepeatGuard(StoredValue::new(f64::NEG_INFINITY))
    }
}

impl RepeatGuard {
    /// A guard for a control that has not been pressed.
    pub fn new() -> RepeatGuard {
        RepeatGuard::default()
    }

    /// The model answered the last press: the next one is new, however soon.
    pub fn release(&self) {
        self.0.set_value(f64::NEG_INFINITY);
    }

    /// Whether this press is a new one (not within [`WITHIN_MS`] of the last new one); notes
    /// it when it is.
    pub fn new_press(&self) -> bool {
        let now = js_sys::Date::now();
        let new = now - self.0.get_value() >= WITHIN_MS;
        if new {
            self.0.set_value(now);
        }
        new
    }
}
