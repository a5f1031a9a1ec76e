//! Calls: an `alertdialog` per incoming call (Answer, Decline) and a region per call in
//! progress named after its party and state, with a large timer, the call-quality indicator,
//! the controls (icons with their names) and "Reconnecting audio…" while an ICE restart
//! restores its audio path; the audio figures are in the call's details.

use leptos::prelude::*;
use sip::agent::CallRef;

use super::dial_pad::KEYS;
use super::directory::presence_text;
use super::focus;
use super::icon::{Icon, IconView};
use super::item_memo::item_memo;
use super::keyed_list::KeyedList;
use super::state::PhoneState;
use super::untrusted::PartyName;
use crate::command::Command;
use crate::display_name::{DisplayName, Party, isolate};
use crate::i18n::{t, t_args};
use crate::model::{CallStage, CallView, elapsed_text};

/// Every call, newest last.
#[component]
pub fn Calls() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    view! {
        <KeyedList each=move || state.calls.get() key=|call| (call.id, call.stage == CallStage::Incoming) let:call>
            {if call.stage == CallStage::Incoming {
                view! { <IncomingCall id=call.id party=call.party.clone() /> }.into_any()
            } else {
                view! { <ActiveCall id=call.id /> }.into_any()
            }}
        </KeyedList>
    }
}

#[component]
fn IncomingCall(id: CallRef, party: Party) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let title = format!("fp-incoming-{}", id.0);
    let detail = format!("fp-incoming-{}-party", id.0);
    let (labelled_by, described_by) = (title.clone(), detail.clone());
    let dialog = NodeRef::<leptos::html::Div>::new();
    let notes = item_memo(move || state.calls.with(|calls| calls.iter().find(|c| c.id == id).map(|c| c.notes.clone())));
    // The dialog takes the focus when the agent works in the phone (never from the CRM page
    // around it, where a typed Enter must not answer a call), and gives it back when it goes:
    // to the answered call, else where it was.
    let before = StoredValue::new_local(None::<web_sys::Element>);
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get()
            && focus::phone_has_focus()
        {
            before.set_value(web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element()));
            let _ = dialog.focus();
        }
    });
    on_cleanup(move || {
        let back = before.try_get_value().flatten().filter(|element| element.is_connected());
        let answered = format!("#fp-call-{}", id.0);
        focus::rescue_later(move || {
            if !focus::focus_first(&[&answered])
                && let Some(element) = back.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = element.focus();
            }
        });
    });
    view! {
        <div class="fp-incoming" role="alertdialog" tabindex="-1" node_ref=dialog aria-labelledby=labelled_by aria-describedby=described_by>
            <h2 id=title class="fp-incoming__title">{t("calls.incoming.title")}</h2>
            <p id=detail class="fp-incoming__party"><PartyName party /></p>
            {move || notes.get().unwrap_or_default().into_iter().map(|note| view! { <p class="fp-call__note">{note}</p> }).collect::<Vec<_>>()}
            <div class="fp-incoming__actions">
                <button type="button" class="fp-button fp-button--answer" on:click=move |_| state.commands.send(Command::Answer(id))>
                    <IconView icon=Icon::Phone />
                    {t("calls.incoming.answer")}
                </button>
                <button type="button" class="fp-button fp-button--decline" on:click=move |_| state.commands.send(Command::Decline(id))>
                    <IconView icon=Icon::HangUp />
                    {t("calls.incoming.decline")}
                </button>
            </div>
        </div>
    }
}

/// A call control: an icon over its name.
#[component]
fn Control(
    /// The icon.
    #[prop(into)]
    icon: Signal<Icon>,
    /// The name, shown and announced.
    #[prop(into)]
    label: Signal<String>,
    /// Whether it can be used now.
    #[prop(into, default = Signal::stored(false))]
    disabled: Signal<bool>,
    /// `aria-pressed`, for a control that stays on.
    #[prop(into, optional)]
    pressed: Option<Signal<bool>>,
    /// `aria-expanded`, for a control that opens a part of the call.
    #[prop(into, optional)]
    expanded: Option<Signal<bool>>,
    /// Extra class (the hang-up's colour).
    #[prop(optional)]
    class: &'static str,
    /// What a click does.
    on_click: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class=format!("fp-control {class}")
            disabled=move || disabled.get()
            aria-pressed=move || pressed.map(|p| p.get().to_string())
            aria-expanded=move || expanded.map(|e| e.get().to_string())
            on:click=move |_| on_click()
        >
            {move || view! { <IconView icon=icon.get() /> }}
            <span class="fp-control__label">{move || label.get()}</span>
        </button>
    }
}

#[component]
fn ActiveCall(id: CallRef) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let call = item_memo(move || state.calls.with(|calls| calls.iter().find(|c| c.id == id).cloned()));
    let call = move || call.get();
    let show = move |f: fn(&CallView) -> String| move || call().map(|c| f(&c)).unwrap_or_default();
    let now = item_memo(move || state.clock.get());
    let timer = move || {
        let now = now.get();
        call().and_then(|c| c.answered_at).map(|start| elapsed_text(start, now.max(start)))
    };
    let established = move || call().is_some_and(|c| c.stage == CallStage::Active);
    let muted = move || call().is_some_and(|c| c.muted);
    let held = move || call().is_some_and(|c| c.held);
    // A call's party never changes: read it once.
    let party = call().map(|c| c.party).unwrap_or_default();
    let transfer_open = RwSignal::new(false);
    // Through the item's own memo: a call's parts must not stay subscribed to the phone's
    // long-lived signals after the call (`item_memo`).
    let keypad_open = item_memo(move || state.keypad.get() == Some(id));
    let keypad_open = move || keypad_open.get();
    // Memos, so that a change elsewhere in the call list does not rebuild (and empty) the forms.
    let show_transfer = Memo::new(move |_| transfer_open.get() && established());
    let show_keypad = Memo::new(move |_| keypad_open() && established());
    let keys = move |f: fn(&CallView) -> &String, text: fn(&str) -> String| {
        move || call().filter(|c| !f(c).is_empty()).map(|c| view! { <p class="fp-call__keys">{text(f(&c))}</p> })
    };
    // Focus on a control that goes with the call would fall to the page's body.
    on_cleanup(|| {
        focus::rescue_later(|| {
            focus::focus_first(&[".fp-call", ".fp-wrap-up select", ".fp-wrap-up textarea", "#fp-number"]);
        })
    });
    view! {
        <section
            class="fp-call"
            id=format!("fp-call-{}", id.0)
            tabindex="-1"
            role="region"
            aria-label=move || call().map(|c| c.accessible_name())
            data-held=move || held().to_string()
        >
            <div class="fp-call__head">
                <p class="fp-call__party"><PartyName party /></p>
                {move || timer().map(|t| view! { <span class="fp-call__timer" role="timer">{t}</span> })}
            </div>
            <div class="fp-call__state">
                <span class="fp-call__stage">{show(|c| c.stage_text())}</span>
                <div class="fp-call__meters">
                    <LevelMeter name=t("calls.meter.microphone") short=t("calls.meter.microphone-short") level=Signal::derive(move || call().map_or(0, |c| c.levels.0)) />
                    <LevelMeter name=t("calls.meter.incoming") short=t("calls.meter.incoming-short") level=Signal::derive(move || call().map_or(0, |c| c.levels.1)) />
                </div>
                // The quality indicator opens the call's figures. role=img with a name: a meter's
                // value would hide the level word screen readers need.
                <details class="fp-call__details">
                    <summary>
                        <span
                            class="fp-quality"
                            data-level=move || call().and_then(|c| c.quality_tally.level).map(crate::call_quality::Level::word)
                            role="img"
                            aria-label=move || call().map(|c| crate::call_quality::indicator_name(&c.quality_tally))
                            title=move || call().map(|c| crate::call_quality::indicator_name(&c.quality_tally))
                        >
                            <span class="fp-quality__bars" aria-hidden="true"><i></i><i></i><i></i></span>
                            <span aria-hidden="true">
                                {move || call().and_then(|c| c.quality_tally.level).map_or_else(|| t("calls.quality.measuring"), crate::call_quality::Level::label)}
                            </span>
                        </span>
                    </summary>
                    <p>
                        {show(|c| {
                            let (sent, received) = (c.audio.packets.0.to_string(), c.audio.packets.1.to_string());
                            t_args("calls.details.packets", &[("sent", &sent), ("received", &received)])
                        })}
                    </p>
                    <p>{move || call().and_then(|c| c.quality).map_or_else(|| t("calls.details.no-reading"), |e| crate::call_quality::figures_text(&e))}</p>
                    {move || {
                        call()
                            .map(|c| c.link.restarts)
                            .filter(|restarts| *restarts > 0)
                            .map(|restarts| view! { <p>{t_args("calls.details.restarts", &[("n", &restarts.to_string())])}</p> })
                    }}
                </details>
            </div>
            {move || {
                call().filter(|c| c.link.reconnecting).map(|_| {
                    view! { <p class="fp-call__reconnecting" role="status">{t("calls.reconnecting")}</p> }
                })
            }}
            {move || {
                call().filter(|c| c.link.lost).map(|_| {
                    view! {
                        <p class="fp-call__warning" role="alert">
                            {t("calls.audio-lost")}
                        </p>
                    }
                })
            }}
            {move || {
                call()
                    .map(|c| c.notes)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|note| view! { <p class="fp-call__note">{note}</p> })
                    .collect::<Vec<_>>()
            }}
            {move || {
                call()
                    .filter(|c| c.quality_tally.level == Some(crate::call_quality::Level::Poor))
                    .map(|_| view! { <p class="fp-call__warning" role="status">{t("calls.quality-poor")}</p> })
            }}
            <div class="fp-call__actions">
                <Control
                    icon=Signal::derive(move || if muted() { Icon::MicrophoneOff } else { Icon::Microphone })
                    label=Signal::derive(move || if muted() { t("calls.control.unmute") } else { t("calls.control.mute") })
                    pressed=Signal::derive(muted)
                    disabled=Signal::derive(move || !established())
                    on_click=move || state.commands.send(Command::ToggleMute(id))
                />
                <Control
                    icon=Signal::derive(move || if held() { Icon::Play } else { Icon::Pause })
                    label=Signal::derive(move || if held() { t("calls.control.resume") } else { t("calls.control.hold") })
                    disabled=Signal::derive(move || !established())
                    on_click=move || state.commands.send(Command::ToggleHold(id))
                />
                <Control
                    icon=Icon::Keypad
                    label=t("calls.control.keypad")
                    expanded=Signal::derive(keypad_open)
                    disabled=Signal::derive(move || !established())
                    on_click=move || state.keypad.update(|open| *open = if *open == Some(id) { None } else { Some(id) })
                />
                <Control
                    icon=Icon::Transfer
                    label=t("calls.control.transfer")
                    expanded=Signal::derive(move || transfer_open.get())
                    disabled=Signal::derive(move || !established())
                    on_click=move || transfer_open.update(|open| *open = !*open)
                />
                <Control
                    icon=Icon::HangUp
                    label=t("calls.control.hang-up")
                    class="fp-control--hang-up"
                    on_click=move || state.commands.send(Command::HangUp(id))
                />
            </div>
            {move || show_transfer.get().then(|| view! { <TransferForm id open=transfer_open /> })}
            {move || {
                show_keypad.get()
                    .then(|| {
                        view! {
                            <div class="fp-keypad fp-call__keypad" role="group" aria-label=t("calls.keypad")>
                                {KEYS
                                    .into_iter()
                                    .map(|(key, _)| {
                                        view! {
                                            <button
                                                type="button"
                                                class="fp-keypad__key"
                                                on:click=move |_| state.commands.send(Command::SendDigit(id, key))
                                            >
                                                {key.to_string()}
                                            </button>
                                        }
                                    })
                                    .collect_view()}
                            </div>
                        }
                    })
            }}
            {keys(|c| &c.keys_sent, |digits| t_args("calls.keys-sent", &[("digits", digits)]))}
            {keys(|c| &c.keys_received, |digits| t_args("calls.keys-received", &[("digits", digits)]))}
        </section>
    }
}

/// Transfer: blind ("Transfer now") or attended ("Consult", then "Complete transfer" once the
/// consulted party answered).
#[component]
fn TransferForm(id: CallRef, open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let target = RwSignal::new(String::new());
    let input = format!("fp-transfer-{}", id.0);
    let consultation =
        item_memo(move || state.calls.with(|calls| calls.iter().find(|c| c.id == id).and_then(|c| c.consultation)));
    let consultation_up = item_memo(move || {
        consultation.get().is_some_and(|other| {
            state.calls.with(|calls| calls.iter().any(|c| c.id == other && c.stage == CallStage::Active))
        })
    });
    let consultation = move || consultation.get();
    let consultation_up = move || consultation_up.get();
    let has_target = move || target.with(|t| !t.trim().is_empty());
    let contacts = state.config.with_value(|config| config.directory.clone());
    // A colleague from the directory, with what their presence says, fills the box.
    let pick = (!contacts.is_empty()).then(|| {
        let options = contacts
            .into_iter()
            .map(|contact| {
                let value = contact.number.clone();
                let name = DisplayName::new(&contact.name).to_string();
                let number = DisplayName::new(&contact.number).to_string();
                let label = move || {
                    let presence = state.presence.with(|known| presence_text(known.get(&contact.number)));
                    // An option holds text only: the untrusted parts are isolated with FSI…PDI.
                    format!("{} ({}) · {presence}", isolate(&name), isolate(&number))
                };
                view! { <option value=value>{label}</option> }
            })
            .collect_view();
        view! {
            <select aria-label=t("calls.transfer.contact") on:change=move |ev| target.set(event_target_value(&ev))>
                <option value="">{t("calls.transfer.pick")}</option>
                {options}
            </select>
        }
    });
    view! {
        <div class="fp-transfer" role="dialog" aria-label=t("calls.transfer.title")>
            <label for=input.clone()>{t("calls.transfer.to")}</label>
            <input
                id=input
                type="tel"
                autocomplete="off"
                prop:value=move || target.get()
                on:input=move |ev| target.set(event_target_value(&ev))
            />
            {pick}
            <div class="fp-transfer__actions">
                <button
                    type="button"
                    class="fp-button"
                    disabled=move || !has_target() || consultation().is_some()
                    on:click=move |_| {
                        let to = target.get_untracked().trim().to_owned();
                        state.commands.send(Command::Transfer(id, to));
                    }
                >
                    {t("calls.transfer.now")}
                </button>
                <button
                    type="button"
                    class="fp-button"
                    disabled=move || !has_target() || consultation().is_some()
                    on:click=move |_| {
                        let to = target.get_untracked().trim().to_owned();
                        state.commands.send(Command::Consult(id, to));
                    }
                >
                    {t("calls.transfer.consult")}
                </button>
                {move || {
                    consultation()
                        .map(|_| {
                            view! {
                                <button
                                    type="button"
                                    class="fp-button fp-button--answer"
                                    disabled=move || !consultation_up()
                                    on:click=move |_| state.commands.send(Command::CompleteTransfer(id))
                                >
                                    {t("calls.transfer.complete")}
                                </button>
                            }
                        })
                }}
                <button type="button" class="fp-button fp-button--quiet" on:click=move |_| open.set(false)>
                    {t("calls.transfer.cancel")}
                </button>
            </div>
        </div>
    }
}

/// A level meter (`role=meter`, 0 to 100) with a bar.
#[component]
fn LevelMeter(name: String, short: String, level: Signal<u8>) -> impl IntoView {
    view! {
        <span class="fp-meter__label" aria-hidden="true">{short}</span>
        <div class="fp-meter" role="meter" aria-label=name.clone() title=name aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || level.get().to_string()>
            <span class="fp-meter__bar" style:width=move || format!("{}%", level.get())></span>
        </div>
    }
}
