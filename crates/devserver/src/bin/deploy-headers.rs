//! `deploy-headers`: writes the HTTP headers a deployment must serve with the widget, made from
//! the configuration being deployed and the built page, and the catalogs the widget downloads
//! (`scripts/build.sh` runs it after Trunk).
//!
//! Usage: `deploy-headers DIST CONFIG`: reads `DIST/index.html` and `CONFIG` (framephone.json),
//! writes `DIST/headers.json` (name → value) and `DIST/headers.nginx.conf` (`add_header` lines),
//! and the Japanese catalog at `DIST/locales/ja-<hash>.txt`, the name the wasm asks for.

use std::path::PathBuf;
use std::process::ExitCode;

use framephone::config::headers::{to_json, to_nginx};
use framephone::i18n::{JAPANESE_FILES, JAPANESE_PATH, served_text};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dist, config] = args.as_slice() else {
        eprintln!("usage: deploy-headers DIST CONFIG");
        return ExitCode::from(2);
    };
    let dist = PathBuf::from(dist);
    let config_text = match std::fs::read_to_string(config) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("deploy-headers: cannot read {config}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let headers = match devserver::headers::for_deployment(&dist, &config_text) {
        Ok(headers) => headers,
        Err(problems) => {
            eprintln!("deploy-headers: {config} cannot be deployed:\n{problems}");
            return ExitCode::FAILURE;
        }
    };
    let catalog = dist.join(JAPANESE_PATH);
    if let Some(Err(error)) = catalog.parent().map(std::fs::create_dir_all) {
        eprintln!("deploy-headers: cannot make {}: {error}", catalog.display());
        return ExitCode::FAILURE;
    }
    let files = [
        ("headers.json", to_json(&headers)),
        ("headers.nginx.conf", to_nginx(&headers)),
        (JAPANESE_PATH, served_text(JAPANESE_FILES)),
    ];
    for (name, text) in files {
        if let Err(error) = std::fs::write(dist.join(name), text) {
            eprintln!("deploy-headers: cannot write {}: {error}", dist.join(name).display());
            return ExitCode::FAILURE;
        }
    }
    println!(
        "deploy-headers: {} and {} for {config}; {}",
        dist.join("headers.json").display(),
        dist.join("headers.nginx.conf").display(),
        catalog.display()
    );
    ExitCode::SUCCESS
}
