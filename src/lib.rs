//! Framephone: a contact-center softphone widget for ServiceNow OpenFrame, Salesforce Open CTI
//! and a pop-out tab.
//!
//! Bytes in → the SIP agent (`crates/sip`) → its events → the desk (`desk`, the contact-center
//! rules) → the model (`model`, one serializable snapshot) → the components (`ui`). Clicks →
//! `command::Command`s → the app (`app`, `session`) → the phone shell (`phone`). The pure
//! modules (`model`, `desk`, `command`'s enum, `config`, `origin`, `dial_string`, `dial_plan`,
//! `display_name`, `call_quality`, `ice_gathering`, `ice_restart`, `turn_refusal`, `host::detect`, `host::click_to_dial`, `tones`, `history`'s records) decide
//! everything that needs no browser and are tested natively; `phone`, `host`'s back-ends, `app`
//! and `ui` are the thin browser shell around them.

pub mod activity;
pub mod agent_state;
pub mod app;
pub mod audio_level;
pub mod browser;
pub mod call_audio;
pub mod call_quality;
pub mod command;
pub mod config;
pub mod conversations;
pub mod credentials;
pub mod desk;
pub mod devices;
pub mod dial_plan;
pub mod dial_string;
pub mod display_name;
#[cfg(feature = "heap-count")]
pub mod heap_count;
pub mod history;
pub mod host;
pub mod host_kind;
pub mod i18n;
pub mod ice_gathering;
pub mod ice_restart;
pub mod model;
pub mod notifications;
pub mod origin;
pub mod phone;
pub mod remote_hold;
pub mod session;
pub mod sync;
pub mod tones;
pub mod turn_refusal;
pub mod ui;
