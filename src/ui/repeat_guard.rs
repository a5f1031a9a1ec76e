//! A control pressed again soon after its last press, before the model has changed, is the
//! same press repeated (a double click, a held Enter) while the first one's result is on its
//! way: it is not carried out twice. The model changes only once the server answers, or a
//! moment later, so the control itself may still look ready meanwhile. The same guard, with no
//! model change to wait for, keeps a note sent while the agent types to one per while.

use leptos::prelude::*;

/// When one control was last pressed (a press that counted), and how long after it another
/// counts as the same one.
#[derive(Clone, Copy)]
pub struct RepeatGuard {
    last: StoredValue<f64>,
    within_ms: f64,
}

impl RepeatGuard {
    /// A guard for a control that has not been pressed: presses within `within_ms` of the last
    /// one that counted are the same press.
    pub fn new(within_ms: f64) -> RepeatGuard {
        RepeatGuard { last: StoredValue::new(f64::NEG_INFINITY), within_ms }
    }

    /// [`new`](Self::new), where whatever `changed` reads changing (the model answering the
    /// press) makes the next press count, however soon.
    pub fn until_changed(within_ms: f64, changed: impl Fn() + 'static) -> RepeatGuard {
        let guard = RepeatGuard::new(within_ms);
        Effect::new(move |_| {
            changed();
            guard.last.set_value(f64::NEG_INFINITY);
        });
        guard
    }

    /// Whether this press counts (it is not within the window of the last one that did); notes
    /// it when it does.
    pub fn new_press(&self) -> bool {
        let now = js_sys::Date::now();
        let counts = now - self.last.get_value() >= self.within_ms;
        if counts {
            self.last.set_value(now);
        }
        counts
    }
}
