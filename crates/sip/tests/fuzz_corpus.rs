//! Replays the corpora the fuzzers found (`fuzz/corpus/`) with the fuzz targets' own checks, so
//! that every input that once reached new code keeps being tested natively in CI.

mod support;

use std::path::Path;

fn each_input(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a corpus entry").path();
        let bytes = std::fs::read(&path).expect("a corpus file");
        check(&bytes);
        count += 1;
    }
    count
}

#[test]
fn parse_validate_corpus() {
    assert!(each_input("parse_validate", support::message_checks::check) > 1_000);
}

#[test]
fn transactions_corpus() {
    assert!(each_input("transactions", support::transaction_driver::drive) > 10);
}

#[test]
fn agent_corpus() {
    assert!(each_input("agent", support::agent_driver::drive) > 10);
}
