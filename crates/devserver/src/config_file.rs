//! The widget's configuration from a file the administrator edits (`--config-file`): written
//! with the demo's default when it does not exist yet, then looked at every second and served
//! as it is after each change, so that the widget's next page load takes it. A configuration the
//! widget will refuse is served all the same, for the widget to show exactly what is wrong and
//! where; the console says so too.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;

/// How often the file is looked at.
const EVERY: Duration = Duration::from_secs(1);
/// Longest configuration read: the widget's own limit on `framephone.json`.
const MAX_BYTES: u64 = 64 * 1024;

/// What identifies one version of the file: when it was written and its length.
type Version = (Option<SystemTime>, u64);

/// The file's text, or why it cannot be served.
fn read(path: &Path) -> Result<(Version, String), String> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if metadata.len() > MAX_BYTES {
        return Err(format!(
            "{} has {} bytes; a configuration has at most {MAX_BYTES}",
            path.display(),
            metadata.len()
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {} as UTF-8 text: {e}", path.display()))?;
    Ok(((metadata.modified().ok(), metadata.len()), text))
}

/// What the widget will make of `text`, for the console.
fn verdict(path: &Path, text: &str) -> String {
    match framephone::config::Config::parse(text) {
        Ok(_) => format!("devserver: {} is served; the widget's next page load takes it", path.display()),
        Err(problems) => {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            format!(
                "devserver: {} is served, and the widget will refuse it and show why: {}",
                path.display(),
                list.join("; ")
            )
        }
    }
}

/// Makes `path` the configuration's source: writes `default` there when there is no file yet,
/// serves what it holds, and follows its changes until the task is dropped.
pub(crate) fn follow(path: PathBuf, default: &str, config: Arc<RwLock<String>>) -> std::io::Result<JoinHandle<()>> {
    if !path.exists() {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, format!("{default}\n"))?;
    }
    let (mut version, text) = read(&path).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    eprintln!("{}", verdict(&path, &text));
    *config.write().unwrap_or_else(|e| e.into_inner()) = text;
    Ok(tokio::spawn(async move {
        let mut problem = None;
        loop {
            tokio::time::sleep(EVERY).await;
            match read(&path) {
                Ok((seen, _)) if seen == version => {}
                Ok((seen, text)) => {
                    eprintln!("{}", verdict(&path, &text));
                    *config.write().unwrap_or_else(|e| e.into_inner()) = text;
                    (version, problem) = (seen, None);
                }
                Err(now) => {
                    if problem.as_ref() != Some(&now) {
                        eprintln!("devserver: {now}; the configuration served so far stays");
                    }
                    problem = Some(now);
                }
            }
        }
    }))
}
