//! The tab strip: a WAI-ARIA `tablist` with roving focus (arrow keys, Home, End).

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::state::{PhoneState, Tab};
use crate::history;
use crate::i18n::{t, t_count};

/// The `tablist` that switches between dial pad, directory, history (with the count of missed
/// calls not seen yet), messages (with the count of unread ones) and settings.
#[component]
pub fn Tabs() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let on_keydown = move |event: KeyboardEvent| {
        let current = Tab::ALL.iter().position(|t| *t == state.tab.get_untracked()).unwrap_or(0);
        let last = Tab::ALL.len() - 1;
        let next = match event.key().as_str() {
            "ArrowRight" => {
                if current == last {
                    0
                } else {
                    current + 1
                }
            }
            "ArrowLeft" => {
                if current == 0 {
                    last
                } else {
                    current - 1
                }
            }
            "Home" => 0,
            "End" => last,
            _ => return,
        };
        event.prevent_default();
        state.tab.set(Tab::ALL[next]);
        focus_tab(Tab::ALL[next]);
    };
    // Missed calls are counted from when the agent last looked, in this page or an earlier one
    // (Salesforce Classic reloads the phone on every navigation); a first sign-in counts from now.
    Effect::new(move |_| {
        if let Some(user) = state.user.get() {
            let seen = history::load_seen(&user).unwrap_or_else(|| {
                let now = js_sys::Date::now();
                history::save_seen(&user, now);
                now
            });
            state.history_seen.set(seen);
        }
    });
    // Looking at the history sees its missed calls, those that come while it is open too.
    Effect::new(move |_| {
        state.history.track();
        if state.tab.get() == Tab::History {
            let now = js_sys::Date::now();
            state.history_seen.set(now);
            if let Some(user) = state.user.get_untracked() {
                history::save_seen(&user, now);
            }
        }
    });
    let missed = Memo::new(move |_| state.unseen_missed());
    let unread = Memo::new(move |_| state.conversations.with(|c| crate::conversations::unread(c)) as usize);
    // A tab's count, told as its description so that its name stays the same.
    let count_of = move |tab: Tab| match tab {
        Tab::History => Some((missed, "fp-missed-calls")),
        Tab::Messages => Some((unread, "fp-unread-messages")),
        _ => None,
    };
    view! {
        <div class="fp-tabs" role="tablist" aria-label=t("tabs.label") on:keydown=on_keydown>
            {Tab::ALL
                .into_iter()
                .map(|tab| {
                    let selected = move || state.tab.get() == tab;
                    view! {
                        <button
                            type="button"
                            role="tab"
                            id=format!("fp-tab-{}", tab.id())
                            class="fp-tabs__tab"
                            aria-selected=move || selected().to_string()
                            aria-controls=format!("fp-panel-{}", tab.id())
                            tabindex=move || if selected() { "0" } else { "-1" }
                            aria-describedby=count_of(tab).map(|(_, id)| id)
                            on:click=move |_| state.tab.set(tab)
                        >
                            {tab.label()}
                            {count_of(tab).map(|(count, _)| move || {
                                let count = count.get();
                                (count > 0).then(|| view! { <span class="fp-tabs__count" aria-hidden="true">{count.to_string()}</span> })
                            })}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        <span class="fp-sr-only" id="fp-missed-calls">
            {move || match missed.get() {
                0 => String::new(),
                n => t_count("tab.missed-calls", n as u64, &[]),
            }}
        </span>
        <span class="fp-sr-only" id="fp-unread-messages">
            {move || match unread.get() {
                0 => String::new(),
                n => t_count("tab.unread-messages", n as u64, &[]),
            }}
        </span>
    }
}

fn focus_tab(tab: Tab) {
    use wasm_bindgen::JsCast;
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("fp-tab-{}", tab.id())))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}
