//! Settings: the Microphone, Speaker and Ringer the phone uses and whether it shows desktop
//! notifications, remembered on this computer, and the keyboard shortcuts.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::shortcuts::Shortcuts;
use super::state::{PhoneState, Tab};
use crate::command::Command;
use crate::devices::{self, Device, Role};
use crate::i18n::{t, t_args};
use crate::notifications;

/// One device choice: a `select` named after its role, "Default" first.
#[component]
fn DeviceChoice(role: Role, name: String, choices: RwSignal<Vec<Device>>) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let chosen = RwSignal::new(devices::chosen(role).unwrap_or_default());
    let choose = move |id: String| {
        chosen.set(id.clone());
        state.commands.send(Command::ChooseDevice(role, id));
    };
    view! {
        <label class="fp-settings__choice">
            <span>{name}</span>
            <select prop:value=move || chosen.get() on:change=move |ev| choose(event_target_value(&ev))>
                <option value="">{t("panel.settings.default")}</option>
                {move || {
                    choices
                        .get()
                        .into_iter()
                        .filter(|d| d.id != "default" && !d.id.is_empty())
                        .map(|d| view! { <option value=d.id.clone() translate="no">{d.label}</option> })
                        .collect_view()
                }}
            </select>
        </label>
    }
}

/// The "Desktop notifications" checkbox: asks the browser's permission when ticked.
#[component]
fn NotificationChoice() -> impl IntoView {
    let on = RwSignal::new(notifications::enabled());
    let problem = RwSignal::new(None::<&'static str>);
    let change = move |ev: leptos::ev::Event| {
        let wanted = event_target_checked(&ev);
        spawn_local(async move {
            let result = notifications::set_enabled(wanted).await;
            // The panel may have closed while the browser asked.
            on.try_set(result == Ok(true));
            problem.try_set(result.err());
        });
    };
    view! {
        <label class="fp-settings__check">
            <input type="checkbox" prop:checked=move || on.get() on:change=change />
            <span>{t("panel.settings.notifications")}</span>
        </label>
        {move || {
            problem.get().map(|why| {
                view! { <p class="fp-settings__problem">{t_args("panel.settings.not-available", &[("why", why)])}</p> }
            })
        }}
    }
}

/// The Settings tab's content: the device choices (listed again each time the tab opens, as
/// devices come and go), desktop notifications and the keyboard shortcuts.
#[component]
pub fn Settings() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let microphones = RwSignal::new(Vec::new());
    let speakers = RwSignal::new(Vec::new());
    let shown = Memo::new(move |_| state.tab.get() == Tab::Settings);
    Effect::new(move |_| {
        if shown.get() {
            spawn_local(async move {
                microphones.try_set(devices::list(Role::Microphone).await);
                speakers.try_set(devices::list(Role::Speaker).await);
            });
        }
    });
    view! {
        <div class="fp-settings" role="group" aria-label=Tab::Settings.label()>
            <DeviceChoice role=Role::Microphone name=t("panel.settings.microphone") choices=microphones />
            <DeviceChoice role=Role::Speaker name=t("panel.settings.speaker") choices=speakers />
            <DeviceChoice role=Role::Ringer name=t("panel.settings.ringer") choices=speakers />
            <NotificationChoice />
            <Shortcuts />
        </div>
    }
}
