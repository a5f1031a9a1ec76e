//! Runs the `sip-check` example over the corpus of hostile messages in `tests/corpus/` and
//! compares its verdicts with `tests/corpus/expected.txt`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sip_check() -> PathBuf {
    // Integration tests live in target/<profile>/deps; Cargo builds examples beside them.
    let deps = std::env::current_exe().expect("the test's path");
    let profile = deps.parent().and_then(Path::parent).expect("target/<profile>");
    let name = if cfg!(windows) { "sip-check.exe" } else { "sip-check" };
    profile.join("examples").join(name)
}

#[test]
fn every_corpus_message_gets_its_expected_verdict() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let expected = std::fs::read_to_string(corpus.join("expected.txt")).expect("expected.txt");
    let mut files: Vec<String> =
        expected.lines().map(|l| l.split(": ").next().unwrap_or_default().to_owned()).collect();
    files.sort();
    let on_disk = std::fs::read_dir(&corpus).expect("the corpus").filter_map(|e| e.ok()).count() - 1;
    assert_eq!(files.len(), on_disk, "every corpus file has an expected verdict");
    let output = Command::new(sip_check()).current_dir(&corpus).args(&files).output().expect("run sip-check");
    assert!(output.status.success(), "sip-check failed: {}", String::from_utf8_lossy(&output.stderr));
    let actual = String::from_utf8(output.stdout).expect("UTF-8 output");
    for (want, got) in expected.lines().zip(actual.lines()) {
        assert_eq!(got, want);
    }
    assert_eq!(actual.lines().count(), expected.lines().count());
}

#[test]
fn an_unreadable_file_is_the_only_failure() {
    let output = Command::new(sip_check()).arg("/nonexistent/message.sip").output().expect("run sip-check");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/message.sip: cannot read"));
}
