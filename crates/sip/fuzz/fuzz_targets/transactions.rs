//! Any sequence of responses, requests, timers and transport errors, fed to all four
//! transaction machines: nothing panics, nothing is scheduled in the past, and a terminated
//! transaction stays silent.
#![no_main]

#[path = "../../tests/support/transaction_driver.rs"]
mod transaction_driver;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| transaction_driver::drive(bytes));
