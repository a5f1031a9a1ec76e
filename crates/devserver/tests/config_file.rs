//! `--config-file`: the widget's configuration is a file the administrator edits. A missing file
//! is written with the default configuration; each change is served at the next request within a
//! couple of seconds, a configuration the widget refuses included (the widget shows why); a file
//! that cannot be read leaves the one served so far.

use std::path::PathBuf;
use std::time::Duration;

use devserver::Options;

mod support;
use support::{until_served, widget_config};

fn dist() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("framephone-config-file-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dist");
    std::fs::write(dir.join("index.html"), "<!doctype html>").expect("index");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_s_configuration_is_the_file_as_edited() {
    let dir = std::env::temp_dir().join(format!("framephone-config-file-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("demo").join("framephone.json");
    let mut options = Options::ephemeral(dist());
    options.config_file = Some(path.clone());
    let running = devserver::start(options).await.expect("start");

    let written = std::fs::read_to_string(&path).expect("the default configuration is written there");
    assert!(written.contains("\"sip\"") && written.contains(&running.servicenow), "{written}");
    assert_eq!(widget_config(&running.widget).await.trim(), written.trim());

    // A second later (so that the file's time changes even on coarse clocks), an edit.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let edited = written.replace("\"Framephone\"", "\"Acme phone\"");
    std::fs::write(&path, &edited).expect("edit");
    let served = until_served(&running.widget, |t| t.contains("Acme phone")).await;
    assert_eq!(served, edited);

    // One the widget refuses is served as it is, for the widget to say why.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    std::fs::write(&path, r#"{"sip": {"servers": ["http://wrong"]}}"#).expect("break it");
    let served = until_served(&running.widget, |t| t.contains("http://wrong")).await;
    assert!(framephone::config::Config::parse(&served).is_err());

    // Gone: what was served stays.
    std::fs::remove_file(&path).expect("remove");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(widget_config(&running.widget).await.contains("http://wrong"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_and_a_url_are_not_both_taken() {
    let mut options = Options::ephemeral(dist());
    options.config_file = Some(std::env::temp_dir().join("framephone-never-written.json"));
    options.config_url = Some("http://127.0.0.1:9/t/x/framephone.json".into());
    let refused = devserver::start(options).await.err().expect("refused");
    assert!(refused.to_string().contains("not both"), "{refused}");
    assert!(!std::env::temp_dir().join("framephone-never-written.json").exists());
}
