//! Framephone: a contact-center softphone widget for ServiceNow OpenFrame, Salesforce Open CTI
//! and a pop-out tab.
//!
//! The pure modules (`config`, `origin`, `dial_string`, `display_name`, `host::detect`,
//! `host::click_to_dial`)
//! decide everything that needs no browser and are tested natively; `host`'s back-ends and `ui`
//! are the thin browser shell around them.

pub mod agent_state;
pub mod app;
pub mod audio_level;
pub mod call_audio;
pub mod config;
pub mod credentials;
pub mod dial_plan;
pub mod dial_string;
pub mod display_name;
#[cfg(feature = "heap-count")]
pub mod heap_count;
pub mod history;
pub mod host;
pub mod origin;
pub mod phone;
pub mod tones;
pub mod ui;
