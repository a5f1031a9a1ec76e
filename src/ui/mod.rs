//! Leptos components. They render [`PhoneState`] and change it; they never talk to a host.

mod agent_status;
mod alerts;
mod calls;
mod dial_pad;
mod directory;
mod error_screen;
mod history;
mod phone;
mod settings;
mod shortcuts;
mod sign_in;
mod state;
mod tabs;
mod untrusted;

pub use calls::Calls;
pub use dial_pad::DialPad;
pub use error_screen::ErrorScreen;
pub use phone::Phone;
pub use sign_in::{SignIn, resume as resume_sign_in, sign_out};
pub use state::{CallStage, CallView, HostStatus, NumberSource, PhoneState, Registration, Tab, elapsed_text};
pub use tabs::Tabs;
