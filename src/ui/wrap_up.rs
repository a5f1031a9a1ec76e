//! Wrap-up: for each finished call the agent took part in, a form with the Disposition (when
//! the configuration lists some), Notes and Done. What is typed goes to the phone as it is
//! typed, so that the After Call Work timer logs it even if Done is never clicked.

use leptos::prelude::*;

use super::item_memo::item_memo;
use super::keyed_list::KeyedList;
use super::state::PhoneState;
use crate::command::Command;
use crate::display_name::DisplayName;
use crate::i18n::t;
use crate::model::WrapUp;

/// Every wrap-up in progress, oldest first.
#[component]
pub fn WrapUps() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    view! {
        <KeyedList each=move || state.wrap_ups.get() key=|wrap_up| wrap_up.call_id.clone() let:wrap_up>
            <WrapUpForm wrap_up />
        </KeyedList>
    }
}

#[component]
fn WrapUpForm(wrap_up: WrapUp) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let dispositions = state.config.with_value(|config| config.crm.dispositions.clone());
    let required = state.config.with_value(|config| config.crm.disposition_required);
    let call_id = wrap_up.call_id.clone();
    let party = DisplayName::new(&wrap_up.party);
    let id =
        format!("fp-wrap-up-{}", wrap_up.call_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)));
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    let disposition = RwSignal::new(wrap_up.disposition.clone());
    let notes = RwSignal::new(wrap_up.notes.clone());
    let edited = {
        let call_id = call_id.clone();
        move || {
            state.commands.send(Command::EditWrapUp {
                call_id: call_id.clone(),
                disposition: disposition.get_untracked(),
                notes: notes.get_untracked(),
            })
        }
    };
    let problem = {
        let call_id = call_id.clone();
        let problem = item_memo(move || {
            state.wrap_ups.with(|all| all.iter().find(|w| w.call_id == call_id).and_then(|w| w.problem.clone()))
        });
        move || problem.get()
    };
    let choose = {
        let edited = edited.clone();
        let dispositions = dispositions.clone();
        move |value: String| {
            disposition.set(value.parse::<usize>().ok().and_then(|i| dispositions.get(i).cloned()));
            edited();
        }
    };
    let disposition_select = (!dispositions.is_empty()).then(|| {
        let selected = wrap_up.disposition.clone();
        view! {
            <label class="fp-field">
                {t("calls.wrap-up.disposition")}
                <select
                    class="fp-select"
                    required=required
                    on:change=move |event| choose(event_target_value(&event))
                >
                    <option value="" selected=selected.is_none()>{t("calls.wrap-up.choose")}</option>
                    {dispositions
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            let chosen = selected.as_deref() == Some(d.as_str());
                            view! { <option value=i.to_string() selected=chosen>{d.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
        }
    });
    let done = move |_| state.commands.send(Command::FinishWrapUp(call_id.clone()));
    // The party goes where the language puts it, still in its own <bdi>.
    let (before, after) = super::untrusted::around(&t("calls.wrap-up.title"), "party");
    view! {
        <section class="fp-wrap-up" role="region" aria-labelledby=labelled_by>
            <h2 id=title_id class="fp-wrap-up__title">{before} <bdi translate="no">{party.shown().to_owned()}</bdi> {after}</h2>
            {disposition_select}
            <label class="fp-field">
                {t("calls.wrap-up.notes")}
                <textarea
                    class="fp-notes"
                    rows="3"
                    maxlength=crate::activity::MAX_NOTES_CHARS.to_string()
                    prop:value=wrap_up.notes.clone()
                    on:input=move |event| {
                        notes.set(event_target_value(&event));
                        edited();
                    }
                ></textarea>
            </label>
            {move || problem().map(|text| view! { <p class="fp-notice" role="alert">{text}</p> })}
            <button type="button" class="fp-button fp-button--primary" on:click=done>{t("calls.wrap-up.done")}</button>
        </section>
    }
}
