//! The Directory tab: the configured contacts, searchable, each with live presence, Call and
//! Message.

use leptos::prelude::*;
use sip::body::PresenceState;

use super::state::PhoneState;
use super::untrusted::Name;
use crate::command::Command;
use crate::display_name::DisplayName;
use crate::i18n::{t, t_args};

/// Presence in words, with the note when it adds something ("Away · Not Ready: Break").
pub fn presence_text(state: Option<&(PresenceState, Option<String>)>) -> String {
    let Some((state, note)) = state else { return t("panel.presence.unknown") };
    // The English word too: a colleague's phone writes its notes in English, and one that
    // only repeats the state adds nothing.
    let (english, word) = match state {
        PresenceState::Available => ("Available", t("panel.presence.available")),
        PresenceState::Busy => ("Busy", t("panel.presence.busy")),
        PresenceState::Away => ("Away", t("panel.presence.away")),
        PresenceState::Offline => ("Offline", t("panel.presence.offline")),
        PresenceState::Unknown => ("Unknown", t("panel.presence.unknown")),
    };
    // The note comes from the colleague's PUBLISH: untrusted text, cleaned and capped; one a
    // phone like this one wrote reads in the agent's language.
    let note = note.as_deref().map(DisplayName::new).unwrap_or_default();
    match note.shown() {
        note if note.is_empty() || note.eq_ignore_ascii_case(english) => word,
        note => format!("{word} · {}", crate::agent_state::note_label(note).unwrap_or_else(|| note.to_owned())),
    }
}

/// The directory, or a word that none is configured.
#[component]
pub fn Directory() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let contacts = state.config.with_value(|config| config.directory.clone());
    if contacts.is_empty() {
        return view! { <p class="fp-empty">{t("panel.directory.none")}</p> }.into_any();
    }
    let search = RwSignal::new(String::new());
    let registered = move || state.session.with(|s| s.registered());
    view! {
        <div class="fp-directory">
            <label for="fp-directory-search">{t("panel.directory.search")}</label>
            <input
                id="fp-directory-search"
                type="search"
                autocomplete="off"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <ul class="fp-directory__list" aria-label=t("panel.directory.contacts")>
                {move || {
                    let wanted = lower_case(search.get().trim());
                    contacts
                        .iter()
                        .filter(|c| wanted.is_empty() || lower_case(&c.name).contains(&wanted) || c.number.contains(&wanted))
                        .map(|contact| {
                            let number = contact.number.clone();
                            let name = DisplayName::new(&contact.name);
                            let call_label = t_args("panel.call-who", &[("name", name.shown())]);
                            let message_label = t_args("panel.message-who", &[("name", name.shown())]);
                            let to = number.clone();
                            let presence = {
                                let number = number.clone();
                                move || state.presence.with(|known| presence_text(known.get(&number)))
                            };
                            view! {
                                <li class="fp-directory__entry">
                                    <span class="fp-directory__name"><Name name /></span>
                                    <span class="fp-directory__number"><Name name=DisplayName::new(&contact.number) /></span>
                                    <span class="fp-directory__presence">{presence}</span>
                                    <button
                                        type="button"
                                        class="fp-button fp-button--quiet"
                                        aria-label=call_label
                                        disabled=move || !registered()
                                        on:click=move |_| state.commands.send(Command::Dial(number.clone()))
                                    >
                                        {t("panel.call")}
                                    </button>
                                    <button
                                        type="button"
                                        class="fp-button fp-button--quiet"
                                        aria-label=message_label
                                        on:click=move |_| state.open_conversation(to.clone())
                                    >
                                        {t("panel.directory.message")}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
    .into_any()
}

/// `text` in lower case, by the browser's Unicode rules (`String.prototype.toLowerCase`): Rust's
/// `str::to_lowercase` would bring its case tables, about 10 KB of wasm, for this one search.
fn lower_case(text: &str) -> String {
    String::from(js_sys::JsString::from(text).to_lower_case())
}
