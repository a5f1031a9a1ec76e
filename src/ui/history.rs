//! The History tab: a list named "Recent calls", newest first, each with its date and time,
//! the CRM record it was logged against and Call back; missed calls marked.

use leptos::prelude::*;

use super::item_memo::item_memo;
use super::keyed_list::KeyedList;
use super::state::PhoneState;
use super::untrusted::Name;
use super::when::when_text;
use crate::command::Command;
use crate::display_name::{DisplayName, MAX_SHOWN_CHARS};
use crate::history::{CallRecord, Outcome};
use crate::i18n::t;

/// One entry: the call in words (a missed call marked) and its Call back button.
#[component]
fn Entry(record: CallRecord) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let time = when_text(record.started as f64, js_sys::Date::now());
    let missed = record.outcome == Outcome::Missed;
    // The record's name came from the CRM: untrusted text, cleaned and capped.
    let record_name = record.record_name.as_deref().map(DisplayName::new).filter(|name| !name.is_empty());
    // The party ("Ana (1002)", each part capped) was cleaned when the call ended; an entry
    // stored by an older version, or edited in storage, is cleaned and capped again here.
    let (before, after) = record.summary_around_party(&time);
    let party = DisplayName::with_limit(record.party_shown(), 2 * MAX_SHOWN_CHARS + 3);
    let number = record.number.clone();
    let no_number = number.is_empty();
    let registered = item_memo(move || state.session.with(|s| s.registered()));
    let disabled = move || !registered.get() || no_number;
    view! {
        <li class="fp-history__entry" class:fp-history__entry--missed=missed>
            <span class="fp-history__text">
                {before}<Name name=party />
                {record_name.map(|name| view! { " · " <Name name /> })}
                {after}
            </span>
            <button
                type="button"
                class="fp-button fp-button--quiet"
                disabled=disabled
                on:click=move |_| state.commands.send(Command::Dial(number.clone()))
            >
                {t("panel.history.call-back")}
            </button>
        </li>
    }
}

/// The recent calls, or a word that there are none. Keyed, so that a new call adds one entry
/// and the oldest goes, instead of the whole list being made again (which also kept the old
/// entries' reactive parts alive).
#[component]
pub fn History() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let empty = move || state.history.with(Vec::is_empty);
    view! {
        <p class="fp-empty" hidden=move || !empty()>{t("panel.history.none")}</p>
        <ul class="fp-history" aria-label=t("panel.history.recent") hidden=empty>
            <KeyedList
                each=move || state.history.get()
                key=|record| (record.id.clone(), record.started, record.incoming, record.number.clone())
                let:record
            >
                <Entry record />
            </KeyedList>
        </ul>
    }
}
