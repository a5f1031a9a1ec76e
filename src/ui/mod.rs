//! Leptos components. They render [`PhoneState`] and send `Command`s; they never hold the
//! phone or talk to a host.

mod activity;
mod agent_status;
mod alerts;
mod calls;
mod dial_pad;
mod directory;
mod error_screen;
mod focus;
mod history;
mod icon;
mod item_memo;
mod keyed_list;
mod messages;
mod phone;
mod phone_home;
mod record_picker;
mod repeat_guard;
mod settings;
mod shortcuts;
mod sign_in;
mod state;
mod tabs;
mod untrusted;
mod when;
mod wrap_up;

pub use calls::Calls;
pub use dial_pad::DialPad;
pub use error_screen::ErrorScreen;
pub use keyed_list::KeyedList;
pub use phone::Phone;
pub use sign_in::SignIn;
pub use state::{HostStatus, NumberSource, PhoneState, Tab};
pub use tabs::Tabs;
