//! Any script of received messages (raw, or built to match the agent's dialogs), commands,
//! flow drops and time, played against one user agent: nothing panics, every call ends at most
//! once, and after a stop nothing is left.
#![no_main]

#[path = "../../tests/support/agent_driver.rs"]
mod agent_driver;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| agent_driver::drive(bytes));
