//! Leptos components. They render [`PhoneState`] and change it; they never talk to a host.

mod dial_pad;
mod error_screen;
mod phone;
mod state;
mod tabs;

pub use dial_pad::DialPad;
pub use error_screen::ErrorScreen;
pub use phone::Phone;
pub use state::{HostStatus, PhoneState, Tab};
pub use tabs::Tabs;
