//! The Messages tab: conversations with colleagues, the most recent first with their unread
//! counts, and one conversation at a time with its messages (theirs and ours, whether ours
//! arrived) and a box to write the next. Every text is the sender's: shown as text, never
//! markup, in its own direction.

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;

use super::item_memo::item_memo;
use super::keyed_list::KeyedList;
use super::state::PhoneState;
use super::untrusted::Name;
use super::when::when_text;
use crate::command::Command;
use crate::conversations::{Conversation, Delivery, MAX_CHARS, TextMessage, failure_text, key_of};
use crate::display_name::DisplayName;
use crate::i18n::{t, t_args, t_count};

/// How a conversation's other side is shown: their name and number, or the number alone.
fn who(number: &str, name: Option<&str>) -> DisplayName {
    match name {
        Some(name) if !name.is_empty() => DisplayName::new(&format!("{name} ({number})")),
        _ => DisplayName::new(number),
    }
}

/// What a message of ours says about its delivery.
fn delivery_text(message: &TextMessage) -> Option<String> {
    match (&message.delivery, message.incoming) {
        (_, true) => None,
        (Delivery::Sending, _) => Some(t("panel.messages.sending")),
        (Delivery::Delivered, _) => Some(t("panel.messages.delivered")),
        (Delivery::Failed(why), _) => Some(failure_text(why)),
    }
}

/// The list of conversations, or the one open.
#[component]
pub fn Messages() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    move || match state.conversation.get() {
        None => view! { <Conversations /> }.into_any(),
        Some(number) => view! { <Thread number /> }.into_any(),
    }
}

/// "To" with New message, then each conversation as a button that opens it.
#[component]
fn Conversations() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let to = RwSignal::new(String::new());
    let contacts = state.config.with_value(|config| config.directory.clone());
    let start = move |event: SubmitEvent| {
        event.prevent_default();
        let number = to.get_untracked().trim().to_owned();
        if !number.is_empty() {
            state.open_conversation(number);
        }
    };
    let empty = move || state.conversations.with(Vec::is_empty);
    view! {
        <form class="fp-messages__new" on:submit=start>
            <label for="fp-message-to">{t("panel.messages.to")}</label>
            <input
                id="fp-message-to"
                type="text"
                inputmode="tel"
                autocomplete="off"
                list="fp-message-contacts"
                prop:value=move || to.get()
                on:input=move |ev| to.set(event_target_value(&ev))
            />
            <datalist id="fp-message-contacts">
                {contacts
                    .into_iter()
                    .map(|c| view! { <option value=c.number>{DisplayName::new(&c.name).shown().to_owned()}</option> })
                    .collect_view()}
            </datalist>
            <button type="submit" class="fp-button" disabled=move || to.with(|t| t.trim().is_empty())>
                {t("panel.messages.new-message")}
            </button>
        </form>
        <p class="fp-empty" hidden=move || !empty()>{t("panel.messages.none")}</p>
        <ul class="fp-conversations" aria-label=t("panel.messages.conversations") hidden=empty>
            <KeyedList
                each=move || state.conversations.get()
                key=|c| (c.number.clone(), c.name.clone(), c.last_at(), c.messages.len(), c.unread)
                let:conversation
            >
                <ConversationEntry conversation />
            </KeyedList>
        </ul>
    }
}

/// One conversation in the list: who, how many unread, the last message's start.
#[component]
fn ConversationEntry(conversation: Conversation) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let name = who(&conversation.number, conversation.name.as_deref());
    let last = conversation.messages.last();
    let preview = last.map(|m| DisplayName::new(&m.text)).unwrap_or_default();
    let time = last.map(|m| when_text(m.at as f64, js_sys::Date::now())).unwrap_or_default();
    let unread = conversation.unread;
    let has_unread = unread > 0;
    let number = conversation.number;
    view! {
        <li>
            <button
                type="button"
                class="fp-conversations__open"
                class:fp-conversations__open--unread=has_unread
                on:click=move |_| state.open_conversation(number.clone())
            >
                <span class="fp-conversations__who"><Name name /></span>
                {has_unread.then(|| view! { <span class="fp-conversations__unread">{t_count("panel.messages.unread", u64::from(unread), &[])}</span> })}
                <span class="fp-conversations__time">{time}</span>
                <span class="fp-conversations__last"><Name name=preview /></span>
            </button>
        </li>
    }
}

/// One conversation: back to the list, its messages as a log (new ones are announced), and
/// the box to write the next. Seen while open: its unread count goes.
#[component]
fn Thread(number: String) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let conversation = {
        let number = number.clone();
        item_memo(move || state.conversations.with(|all| all.iter().find(|c| c.number == number).cloned()))
    };
    let name = {
        let number = number.clone();
        let stored = conversation.with_untracked(|c| c.as_ref().and_then(|c| c.name.clone()));
        let directory = state
            .config
            .with_value(|config| config.directory.iter().find(|c| key_of(&c.number) == number).map(|c| c.name.clone()));
        who(&number, stored.or(directory).as_deref())
    };
    // Seen while it shows: in the tab the agent has open.
    {
        let number = number.clone();
        Effect::new(move |_| {
            let unread = conversation.with(|c| c.as_ref().map_or(0, |c| c.unread));
            if unread > 0 && state.tab.get() == super::state::Tab::Messages {
                state.commands.send(Command::ReadConversation(number.clone()));
            }
        });
    }
    let log = NodeRef::<leptos::html::Ol>::new();
    // The newest message in view.
    Effect::new(move |_| {
        conversation.with(|c| c.as_ref().map(|c| c.messages.len()));
        if let Some(log) = log.get() {
            log.set_scroll_top(log.scroll_height());
        }
    });
    let text = RwSignal::new(String::new());
    let registered = item_memo(move || state.session.with(|s| s.registered()));
    let too_long = move || text.with(|t| t.chars().count() > MAX_CHARS);
    let send = {
        let number = number.clone();
        move || {
            let typed = text.get_untracked();
            if typed.trim().is_empty() || !registered.get_untracked() || typed.chars().count() > MAX_CHARS {
                return;
            }
            state.commands.send(Command::SendMessage { to: number.clone(), text: typed });
            text.set(String::new());
        }
    };
    let on_submit = {
        let send = send.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            send();
        }
    };
    // Enter sends, Shift+Enter starts a new line, as in every chat.
    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            send();
        }
    };
    let log_label = t_args("panel.messages.with", &[("name", name.full())]);
    let box_label = t_args("panel.messages.box", &[("name", name.full())]);
    let call_label = t_args("panel.call-who", &[("name", name.full())]);
    let dial = number.clone();
    view! {
        <div class="fp-thread">
            <div class="fp-thread__head">
                <button
                    type="button"
                    class="fp-button fp-button--quiet"
                    aria-label=t("panel.messages.all-conversations")
                    on:click=move |_| state.conversation.set(None)
                >
                    {t("panel.messages.all")}
                </button>
                <h2 class="fp-thread__title"><Name name /></h2>
                <button
                    type="button"
                    class="fp-button fp-button--quiet"
                    aria-label=call_label
                    disabled=move || !registered.get()
                    on:click=move |_| state.commands.send(Command::Dial(dial.clone()))
                >
                    {t("panel.call")}
                </button>
            </div>
            <p class="fp-empty" hidden=move || conversation.with(|c| c.as_ref().is_some_and(|c| !c.messages.is_empty()))>
                {t("panel.messages.write-first")}
            </p>
            <ol class="fp-thread__messages" role="log" aria-label=log_label node_ref=log>
                <KeyedList
                    each=move || conversation.get().map(|c| c.messages).unwrap_or_default()
                    key=|m| (m.incoming, m.id, m.at, m.text.len(), delivery_text(m))
                    let:message
                >
                    <Bubble message number=number.clone() />
                </KeyedList>
            </ol>
            <form class="fp-composer" on:submit=on_submit>
                <textarea
                    class="fp-composer__text"
                    aria-label=box_label
                    rows="2"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                    on:keydown=on_keydown
                ></textarea>
                <button
                    type="submit"
                    class="fp-button fp-button--primary"
                    disabled=move || !registered.get() || text.with(|t| t.trim().is_empty()) || too_long()
                >
                    {t("panel.messages.send")}
                </button>
            </form>
            {move || {
                too_long().then(|| {
                    let count = text.with(|t| t.chars().count());
                    view! {
                        <p class="fp-composer__problem" role="alert">
                            {t_args(
                                "panel.messages.over-limit",
                                &[("count", &count.to_string()), ("max", &MAX_CHARS.to_string())],
                            )}
                        </p>
                    }
                })
            }}
            {move || {
                (!registered.get()).then(|| view! { <p class="fp-composer__problem">{t("panel.messages.sign-in-first")}</p> })
            }}
        </div>
    }
}

/// One message: its text in its own direction, when, and for ours whether it arrived (with
/// Send again when it did not).
#[component]
fn Bubble(message: TextMessage, number: String) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let time = when_text(message.at as f64, js_sys::Date::now());
    let failed = matches!(message.delivery, Delivery::Failed(_)) && !message.incoming;
    let meta = match delivery_text(&message) {
        Some(delivery) => format!("{time} · {delivery}"),
        None => time,
    };
    let who = if message.incoming { t("panel.messages.they-wrote") } else { t("panel.messages.you-wrote") };
    let text = message.text.clone();
    view! {
        <li class="fp-bubble" class:fp-bubble--ours=!message.incoming class:fp-bubble--failed=failed>
            <span class="fp-sr-only">{who}</span>
            <p class="fp-bubble__text" dir="auto" translate="no">{message.text}</p>
            <span class="fp-bubble__meta">{meta}</span>
            {failed.then(|| view! {
                <button
                    type="button"
                    class="fp-button fp-button--quiet"
                    on:click=move |_| state.commands.send(Command::SendMessage { to: number.clone(), text: text.clone() })
                >
                    {t("panel.messages.send-again")}
                </button>
            })}
        </li>
    }
}
