//! Text messages with colleagues (SIP MESSAGE): the conversations the Messages tab shows, kept
//! in `localStorage` per SIP user like the call history, bounded so that a flood from a hostile
//! peer can neither fill the browser's storage nor the page's memory.

use serde::{Deserialize, Serialize};

use crate::browser::local_storage as storage;
use crate::dial_string::normalise;
use crate::display_name::clean;
use crate::i18n::{t, t_args};

/// The longest message, in characters, either way: longer ones are refused when typed and cut
/// when received.
pub const MAX_CHARS: usize = 1_000;
/// How many conversations are kept: the least recent goes first.
pub const KEPT_CONVERSATIONS: usize = 30;
/// How many messages each conversation keeps: the oldest go first.
pub const KEPT_PER_CONVERSATION: usize = 100;
/// How many characters of text are kept in all: beyond it the oldest messages of the least
/// recent conversations go. At most 240 KB of UTF-8, so that the model still fits the 512 KB
/// envelope that carries it to the phone's other windows, and a small part of `localStorage`.
pub const KEPT_CHARS: usize = 60_000;

/// Where a message of ours stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Sent, no answer yet.
    Sending,
    /// The other side's phone took it.
    Delivered,
    /// Not delivered, and why, in words the agent can act on.
    Failed(String),
}

/// One message, ours or theirs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextMessage {
    /// Ours to match the outcome of (0: theirs).
    #[serde(default)]
    pub id: u64,
    /// Theirs.
    pub incoming: bool,
    /// What was written, cleaned (line breaks kept).
    pub text: String,
    /// When, in milliseconds since 1970.
    pub at: u64,
    /// Where ours stands (theirs: delivered).
    pub delivery: Delivery,
}

/// The messages with one contact, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Their number (the SIP user part), the conversation's key and where replies go.
    pub number: String,
    /// Their name as last known (the directory's, or the name their phone sent), cleaned.
    pub name: Option<String>,
    /// The messages, oldest first.
    pub messages: Vec<TextMessage>,
    /// Theirs the agent has not seen.
    pub unread: u32,
}

impl Conversation {
    /// When anything last happened in it.
    pub fn last_at(&self) -> u64 {
        self.messages.last().map_or(0, |m| m.at)
    }
}

/// Why a typed message cannot go.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing readable was typed.
    #[error("Type a message first.")]
    Empty,
    /// Too long.
    #[error("The message is {0} characters long; at most {MAX_CHARS} can be sent.")]
    TooLong(usize),
}

impl TextError {
    /// Why, in the agent's words (the `Display` form stays English, for logs).
    pub fn text(&self) -> String {
        match self {
            TextError::Empty => t("panel.messages.empty"),
            TextError::TooLong(n) => {
                t_args("panel.messages.too-long", &[("count", &n.to_string()), ("max", &MAX_CHARS.to_string())])
            }
        }
    }
}

/// The key of the conversation with `number` as written (in the directory, typed, a sender's
/// user part): the keys dialled, which is what the other side's messages come from; as written
/// when it is no dialable number.
pub fn key_of(number: &str) -> String {
    normalise(number).unwrap_or_else(|_| number.trim().to_owned())
}

/// The readable text of a message: each line cleaned as a name is (controls, bidi steering and
/// invisible characters removed, spaces collapsed), line breaks kept but never more than one
/// empty line in a row, trimmed.
pub fn clean_text(raw: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in raw.replace("\r\n", "\n").split(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}']) {
        let line = clean(line);
        let blank_twice = line.is_empty() && lines.last().is_some_and(String::is_empty);
        if !blank_twice {
            lines.push(line);
        }
    }
    let text = lines.join("\n");
    text.trim_matches('\n').to_owned()
}

/// A typed message as it goes out, or why it cannot.
pub fn outgoing_text(raw: &str) -> Result<String, TextError> {
    let text = clean_text(raw);
    match text.chars().count() {
        0 => Err(TextError::Empty),
        n if n > MAX_CHARS => Err(TextError::TooLong(n)),
        _ => Ok(text),
    }
}

/// A received message as it is kept: cleaned and cut to [`MAX_CHARS`]; `None` when nothing
/// readable is left.
pub fn incoming_text(raw: &str) -> Option<String> {
    let text = clean_text(raw);
    let count = text.chars().count();
    let text = if count > MAX_CHARS {
        let cut: String = text.chars().take(MAX_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        text
    };
    (!text.is_empty()).then_some(text)
}

/// Adds `message` to the conversation with `number` (started if new, named `name` when one is
/// known), moves it to the top and keeps every bound.
pub fn add(conversations: &mut Vec<Conversation>, number: &str, name: Option<String>, message: TextMessage) {
    let index = conversations.iter().position(|c| c.number == number);
    let mut conversation = match index {
        Some(i) => conversations.remove(i),
        None => Conversation { number: number.to_owned(), name: None, messages: Vec::new(), unread: 0 },
    };
    if name.is_some() {
        conversation.name = name;
    }
    if message.incoming {
        conversation.unread = conversation.unread.saturating_add(1);
    }
    conversation.messages.push(message);
    let extra = conversation.messages.len().saturating_sub(KEPT_PER_CONVERSATION);
    conversation.messages.drain(..extra);
    conversations.insert(0, conversation);
    conversations.truncate(KEPT_CONVERSATIONS);
    keep_within_chars(conversations);
    conversation_unread_within_kept(conversations);
}

/// Drops the oldest messages of the least recent conversations until the text fits
/// [`KEPT_CHARS`]; the newest message of the newest conversation always stays.
fn keep_within_chars(conversations: &mut Vec<Conversation>) {
    let mut total: usize = conversations.iter().flat_map(|c| &c.messages).map(|m| m.text.chars().count()).sum();
    while total > KEPT_CHARS {
        let alone = conversations.len() == 1;
        let Some(last) = conversations.last_mut() else { return };
        if alone && last.messages.len() <= 1 {
            return;
        }
        if last.messages.is_empty() {
            conversations.pop();
            continue;
        }
        let dropped = last.messages.remove(0);
        total -= dropped.text.chars().count();
        if last.messages.is_empty() {
            conversations.pop();
        }
    }
}

/// An unread count never exceeds the messages of theirs still kept.
fn conversation_unread_within_kept(conversations: &mut [Conversation]) {
    for conversation in conversations {
        let theirs = conversation.messages.iter().filter(|m| m.incoming).count();
        conversation.unread = conversation.unread.min(u32::try_from(theirs).unwrap_or(u32::MAX));
    }
}

/// Sets where our message `id` stands; whether it was found.
pub fn settle(conversations: &mut [Conversation], id: u64, delivery: Delivery) -> bool {
    let found = conversations.iter_mut().flat_map(|c| c.messages.iter_mut()).find(|m| !m.incoming && m.id == id);
    found.map(|message| message.delivery = delivery).is_some()
}

/// The agent has seen the conversation with `number`; whether anything changed.
pub fn read(conversations: &mut [Conversation], number: &str) -> bool {
    let found = conversations.iter_mut().find(|c| c.number == number && c.unread > 0);
    found.map(|c| c.unread = 0).is_some()
}

/// Messages of theirs not seen yet, in every conversation.
pub fn unread(conversations: &[Conversation]) -> u32 {
    conversations.iter().map(|c| c.unread).fold(0, u32::saturating_add)
}

/// A stored list as it is read back: anything unreadable reads as empty, every text is cleaned
/// and bounded again (the storage is input too), and messages still sending when the page went
/// away are marked failed, since nobody is left to hear their outcome.
pub fn parse(text: &str) -> Vec<Conversation> {
    let stored: Vec<Conversation> = serde_json::from_str(text).unwrap_or_default();
    let mut conversations: Vec<Conversation> = stored.into_iter().take(KEPT_CONVERSATIONS).collect();
    for conversation in &mut conversations {
        conversation.name = conversation.name.as_deref().map(clean).filter(|n| !n.is_empty());
        conversation.messages.retain_mut(|message| {
            let Some(text) = incoming_text(&message.text) else { return false };
            message.text = text;
            if message.delivery == Delivery::Sending {
                message.delivery = Delivery::Failed(UNCONFIRMED.to_owned());
            }
            true
        });
        let extra = conversation.messages.len().saturating_sub(KEPT_PER_CONVERSATION);
        conversation.messages.drain(..extra);
    }
    conversations.retain(|c| !c.messages.is_empty());
    keep_within_chars(&mut conversations);
    conversation_unread_within_kept(&mut conversations);
    conversations
}

/// What a message still sending when the page went away says, as kept with it.
pub const UNCONFIRMED: &str = "The page closed before the server confirmed it: it may not have arrived.";

/// A failed message's reason in the agent's words: [`UNCONFIRMED`] translated, any other as
/// kept.
pub fn failure_text(why: &str) -> String {
    if why == UNCONFIRMED { t("panel.messages.unconfirmed") } else { why.to_owned() }
}

/// The stored form of a list.
pub fn to_text(conversations: &[Conversation]) -> String {
    serde_json::to_string(conversations).unwrap_or_else(|_| "[]".into())
}

/// The storage key of `user`'s conversations.
pub fn storage_key(user: &str) -> String {
    format!("framephone.messages.{user}")
}

/// `user`'s stored conversations (the browser's `localStorage`).
pub fn load(user: &str) -> Vec<Conversation> {
    storage().and_then(|s| s.get_item(&storage_key(user)).ok().flatten()).map(|text| parse(&text)).unwrap_or_default()
}

/// Stores `user`'s conversations.
pub fn save(user: &str, conversations: &[Conversation]) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(&storage_key(user), &to_text(conversations));
    }
}

/// Removes `user`'s stored conversations (Sign out).
pub fn forget(user: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&storage_key(user));
    }
}

#[cfg(test)]
mod tests;
