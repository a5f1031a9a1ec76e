//! The Activity list: call logs not yet in the CRM. How many wait, the ones that failed with
//! the reason and Retry, Authorise when the CRM wants the agent's permission again, and a
//! warning when the browser cannot keep the logs.

use leptos::prelude::*;

use super::state::PhoneState;
use crate::activity::outbox::Hold;
use crate::command::Command;
use crate::host_kind::HostKind;

/// Shown only while something waits or went wrong.
#[component]
pub fn Activity() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    // The pop-out logs through a CRM window of whichever CRM it is.
    let crm = if state.host == HostKind::Standalone { "the CRM" } else { state.host.label() };
    let view_of = move || state.activity.get();
    move || {
        let activity = view_of();
        let nothing = activity.waiting == 0 && activity.hold.is_none() && activity.store_problem.is_none();
        if nothing {
            return None;
        }
        let waiting = match activity.waiting {
            0 => None,
            1 => Some(format!("1 call log waiting for {crm}")),
            n => Some(format!("{n} call logs waiting for {crm}")),
        };
        // The pop-out's CRM work is done by a CRM window, which keeps the CRM's permission.
        let pop_out = state.host == HostKind::Standalone;
        let hold = activity.hold.map(|hold| match hold {
            Hold::Unauthorised if pop_out => view! {
                <p class="fp-activity__hold" role="alert">
                    "The CRM needs your permission to look up callers and log calls: choose Authorise in the CRM window, and the logs waiting here go."
                </p>
            }
            .into_any(),
            Hold::Unauthorised => view! {
                <div class="fp-activity__hold" role="alert">
                    <p>{format!("{crm} needs your permission to look up callers and log calls.")}</p>
                    <button type="button" class="fp-button fp-button--primary" on:click=move |_| state.commands.send(Command::AuthoriseCrm)>
                        "Authorise"
                    </button>
                </div>
            }
            .into_any(),
            Hold::NoHost => view! {
                <p class="fp-activity__hold">"Call logs wait until a CRM window with the phone is open."</p>
            }
            .into_any(),
        });
        let failed = activity
            .failed
            .into_iter()
            .map(|(key, subject, reason)| {
                let label = format!("Retry: {subject}");
                view! {
                    <li class="fp-activity__failed">
                        <span>{subject}</span>
                        <span class="fp-activity__reason">{reason}</span>
                        <button type="button" class="fp-button" aria-label=label on:click=move |_| state.commands.send(Command::RetryLog(key.clone()))>
                            "Retry"
                        </button>
                    </li>
                }
            })
            .collect_view();
        let store_problem = activity.store_problem.map(|text| view! { <p class="fp-notice" role="alert">{text}</p> });
        Some(view! {
            <section class="fp-activity" role="region" aria-label="Activity">
                {waiting.map(|text| view! { <p class="fp-activity__waiting" role="status">{text}</p> })}
                {hold}
                <ul class="fp-activity__list" aria-label="Call logs that failed">{failed}</ul>
                {store_problem}
            </section>
        })
    }
}
