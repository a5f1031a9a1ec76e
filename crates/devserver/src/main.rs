//! `devserver`: runs the demo. Serves the built widget and the host emulators, prints the URL of
//! each view, and runs until Ctrl-C.
//!
//! Usage: `devserver [--dist DIR] [--port PORT] [--sip-server URL] [--service URL] [--config-url URL
//! | --config-file PATH] [--tls-cert PEM --tls-key PEM]`:
//! the widget is served on PORT, ServiceNow on PORT+1 and Salesforce on PORT+2 (default 8780),
//! over https with that certificate and key when given (the lab's: `$LAB_DIR/tls/server.pem`
//! and `server.key`); the widget's configuration points it at the SIP lab's WebSocket URL
//! (default `ws://127.0.0.1:8088`; an https page needs the lab's `wss://` port) and, with
//! `--service`, at the integration service for ServiceNow's tokens and call logs. With
//! `--config-url` (a tenant's `http://…/t/<slug>/framephone.json` on the service) the widget's
//! configuration is that one as soon as the service has it, followed as an administrator edits it.
//! With `--config-file PATH` it is that file, written with the default configuration when it
//! does not exist yet and served again after each change (the widget's next page load takes it).

use std::path::PathBuf;
use std::process::ExitCode;

use devserver::{Options, TlsFiles, start};

const USAGE: &str = "usage: devserver [--dist DIR] [--port PORT] [--sip-server ws://HOST:PORT] \
     [--service http://HOST:PORT] [--config-url http://HOST:PORT/t/SLUG/framephone.json | --config-file PATH] [--tls-cert PEM --tls-key PEM]";

#[tokio::main]
async fn main() -> ExitCode {
    let mut dist = PathBuf::from("dist");
    let mut port: u16 = 8780;
    let mut sip_server = devserver::DEFAULT_SIP_SERVER.to_owned();
    let (mut certificate, mut key) = (None, None);
    let mut service = None;
    let mut config_url = None;
    let mut config_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--dist", Some(v)) => dist = PathBuf::from(v),
            ("--tls-cert", Some(v)) => certificate = Some(PathBuf::from(v)),
            ("--tls-key", Some(v)) => key = Some(PathBuf::from(v)),
            ("--sip-server", Some(v)) if v.starts_with("ws://") || v.starts_with("wss://") => sip_server = v,
            ("--service", Some(v)) if v.starts_with("http://") || v.starts_with("https://") => service = Some(v),
            ("--config-url", Some(v)) => config_url = Some(v),
            ("--config-file", Some(v)) => config_file = Some(PathBuf::from(v)),
            ("--port", Some(v)) => match v.parse::<u16>() {
                Ok(p) if p > 0 && p < u16::MAX - 2 => port = p,
                _ => {
                    return fail(&format!("--port must be a number from 1 to 65532, not {v:?}"));
                }
            },
            _ => return fail(USAGE),
        }
    }
    if !dist.join("index.html").is_file() {
        return fail(&format!("{} has no index.html: build the widget first (trunk build --release)", dist.display()));
    }
    let tls = match (certificate, key) {
        (Some(certificate), Some(key)) => Some(TlsFiles { certificate, key }),
        (None, None) => None,
        _ => return fail("--tls-cert and --tls-key go together"),
    };
    let mut options = Options::ephemeral(dist);
    options.tls = tls;
    options.ports = [port, port + 1, port + 2];
    options.sip_server = sip_server;
    options.service = service;
    options.config_url = config_url;
    options.config_file = config_file.clone();
    let running = match start(options).await {
        Ok(running) => running,
        Err(error) => {
            return fail(&format!("could not start: {error} (is another demo still running?)"));
        }
    };
    for (name, url) in running.views() {
        println!("{name}: {url}");
    }
    if let Some(path) = config_file {
        let shown = std::fs::canonicalize(&path).unwrap_or(path);
        println!("The widget's framephone.json: {} (edit it: the next page load takes the change)", shown.display());
    }
    println!("Press Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ExitCode {
    eprintln!("devserver: {message}");
    ExitCode::from(2)
}
