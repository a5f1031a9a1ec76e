//! `sip-check FILE…`: what would Framephone do with this message?
//!
//! Each file holds exactly one received message. For each, one line: `FILE: accept`,
//! `FILE: <status>` (the response the user agent would send), or `FILE: drop`. With
//! `--explain`, the reason follows. Exits 0 unless a file could not be read.

use std::process::ExitCode;

use sip::validate::{Capabilities, Verdict, validate};

fn main() -> ExitCode {
    let mut explain = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--explain" => explain = true,
            "-h" | "--help" => {
                println!("usage: sip-check [--explain] FILE...");
                return ExitCode::SUCCESS;
            }
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: sip-check [--explain] FILE...");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for file in files {
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("{file}: cannot read: {error}");
                status = ExitCode::FAILURE;
                continue;
            }
        };
        let (outcome, why) = match validate(&bytes, &Capabilities::default()) {
            Verdict::Accept(_) => ("accept".to_owned(), String::new()),
            Verdict::Respond(response) => {
                (response.status.to_string(), String::from_utf8_lossy(&response.reason).into_owned())
            }
            Verdict::Drop(reason) => ("drop".to_owned(), reason.to_string()),
        };
        if explain && !why.is_empty() {
            println!("{file}: {outcome} ({why})");
        } else {
            println!("{file}: {outcome}");
        }
    }
    status
}
