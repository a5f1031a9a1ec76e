//! The record picker: several CRM records carry the caller's number, and the agent says which
//! one is the caller's. The names come from the CRM: shown cleaned and isolated.

use leptos::prelude::*;

use super::keyed_list::KeyedList;
use super::state::PhoneState;
use super::untrusted::Name;
use crate::command::Command;
use crate::display_name::DisplayName;
use crate::i18n::{t, t_args};

/// One group of buttons per call whose caller matched several records.
#[component]
pub fn RecordPickers() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let choices = move || {
        state.calls.with(|calls| {
            calls
                .iter()
                .filter(|c| !c.record_choices.is_empty())
                .map(|c| (c.id, c.record_choices.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <KeyedList each=choices key=|(call, records)| (*call, records.len()) let:choice>
            {
                let (call, records) = choice;
                view! {
                    <div class="fp-records" role="group" aria-label=t("calls.records.title")>
                        <p class="fp-records__title">{t("calls.records.title")}</p>
                        {records
                            .into_iter()
                            .map(|record| {
                                let name = DisplayName::new(if record.name.is_empty() { &record.id } else { &record.name });
                                let object = DisplayName::new(&record.object);
                                let label = t_args("calls.records.open", &[("name", name.shown()), ("object", object.shown())]);
                                view! {
                                    <button
                                        type="button"
                                        class="fp-button"
                                        aria-label=label
                                        on:click=move |_| state.commands.send(Command::PickRecord(call, record.clone()))
                                    >
                                        <Name name /> " · " {object.shown().to_owned()}
                                    </button>
                                }
                            })
                            .collect_view()}
                    </div>
                }
            }
        </KeyedList>
    }
}
