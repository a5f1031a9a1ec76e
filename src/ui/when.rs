//! When something happened, in the phone's language (`Intl` through `toLocaleString`): the time alone for today, the date and
//! time before (history entries, messages).

/// `at` (milliseconds since 1970) as the agent reads it at `now`.
pub fn when_text(at: f64, now: f64) -> String {
    let (when, today) = (js_sys::Date::new(&at.into()), js_sys::Date::new(&now.into()));
    let same_day = (when.get_full_year(), when.get_month(), when.get_date())
        == (today.get_full_year(), today.get_month(), today.get_date());
    let options = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    };
    set("hour", "2-digit");
    set("minute", "2-digit");
    if !same_day {
        set("day", "numeric");
        set("month", "short");
    }
    when.to_locale_string(crate::i18n::language().tag(), &options).into()
}
