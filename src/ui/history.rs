//! The History tab: a list named "Recent calls", newest first, each with Call back.

use leptos::prelude::*;

use super::state::{PhoneState, Registration};

/// The recent calls, or a word that there are none.
#[component]
pub fn History() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let registered = move || state.registration.get() == Registration::Registered;
    move || {
        let records = state.history.get();
        if records.is_empty() {
            return view! { <p class="fp-empty">"No calls yet."</p> }.into_any();
        }
        view! {
            <ul class="fp-history" aria-label="Recent calls">
                {records
                    .into_iter()
                    .map(|record| {
                        let when = js_sys::Date::new(&(record.started as f64).into());
                        let time = format!("{:02}:{:02}", when.get_hours(), when.get_minutes());
                        let number = record.number.clone();
                        view! {
                            <li class="fp-history__entry">
                                <span class="fp-history__text">{record.summary(&time)}</span>
                                <button
                                    type="button"
                                    class="fp-button fp-button--quiet"
                                    disabled=move || !registered() || number.is_empty()
                                    on:click={
                                        let number = record.number.clone();
                                        move |_| {
                                            if let Some(phone) = state.phone.get_value() {
                                                phone.dial(number.clone());
                                            }
                                        }
                                    }
                                >
                                    "Call back"
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    }
}
