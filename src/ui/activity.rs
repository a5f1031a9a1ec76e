//! The Activity list: call logs not yet in the CRM. How many wait, the ones that failed with
//! the reason and Retry, Authorise when the CRM wants the agent's permission again, and a
//! warning when the browser cannot keep the logs.

use leptos::prelude::*;

use super::state::PhoneState;
use crate::activity::outbox::Hold;
use crate::command::Command;
use crate::host_kind::HostKind;
use crate::i18n::{t, t_args, t_count};

/// Shown only while something waits or went wrong.
#[component]
pub fn Activity() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    // The pop-out logs through a CRM window of whichever CRM it is.
    let crm = if state.host == HostKind::Standalone { t("calls.activity.the-crm") } else { state.host.label() };
    let view_of = move || state.activity.get();
    move || {
        let activity = view_of();
        let nothing = activity.waiting == 0 && activity.hold.is_none() && activity.store_problem.is_none();
        if nothing {
            return None;
        }
        let waiting = match activity.waiting {
            0 => None,
            n => Some(t_count("calls.activity.waiting", n as u64, &[("crm", &crm)])),
        };
        // The pop-out's CRM work is done by a CRM window, which keeps the CRM's permission.
        let pop_out = state.host == HostKind::Standalone;
        let hold = activity.hold.map(|hold| match hold {
            Hold::Unauthorised if pop_out => view! {
                <p class="fp-activity__hold" role="alert">
                    {t("calls.activity.authorise-in-crm-window")}
                </p>
            }
            .into_any(),
            Hold::Unauthorised => view! {
                <div class="fp-activity__hold" role="alert">
                    <p>{t_args("calls.activity.needs-permission", &[("crm", &crm)])}</p>
                    <button type="button" class="fp-button fp-button--primary" on:click=move |_| state.commands.send(Command::AuthoriseCrm)>
                        {t("calls.activity.authorise")}
                    </button>
                </div>
            }
            .into_any(),
            Hold::NoHost => view! {
                <p class="fp-activity__hold">{t("calls.activity.no-host")}</p>
            }
            .into_any(),
        });
        let failed = activity
            .failed
            .into_iter()
            .map(|(key, subject, reason)| {
                let label = t_args("calls.activity.retry-log", &[("subject", &subject)]);
                view! {
                    <li class="fp-activity__failed">
                        <span>{subject}</span>
                        <span class="fp-activity__reason">{reason}</span>
                        <button type="button" class="fp-button" aria-label=label on:click=move |_| state.commands.send(Command::RetryLog(key.clone()))>
                            {t("calls.activity.retry")}
                        </button>
                    </li>
                }
            })
            .collect_view();
        let store_problem = activity.store_problem.map(|text| view! { <p class="fp-notice" role="alert">{text}</p> });
        Some(view! {
            <section class="fp-activity" role="region" aria-label=t("calls.activity.title")>
                {waiting.map(|text| view! { <p class="fp-activity__waiting" role="status">{text}</p> })}
                {hold}
                <ul class="fp-activity__list" aria-label=t("calls.activity.failed")>{failed}</ul>
                {store_problem}
            </section>
        })
    }
}
