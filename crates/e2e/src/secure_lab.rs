//! The lab over TLS: the test CA and the server certificate `scripts/lab.sh start` makes in
//! `$LAB_DIR/tls`, Kamailio's WebSocket over TLS, and the dev server's origins over https with
//! that certificate.

use std::path::PathBuf;

/// The lab's TLS files and its `wss://` port.
#[derive(Clone, Debug)]
pub struct LabTls {
    /// The test CA's certificate (PEM): what a test browser trusts ([`crate::Browser::start_trusting`]).
    pub ca: PathBuf,
    /// The server certificate the CA signed, for 127.0.0.1, ::1, localhost and the lab's domain.
    pub certificate: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// `$LAB_WSS_PORT` (default `$LAB_WS_PORT` + 1, so 8089): Kamailio's WebSocket over TLS.
    pub wss_port: u16,
}

impl LabTls {
    /// The files in `$LAB_DIR/tls` (`LAB_DIR` as `scripts/lab.sh` takes it, default
    /// `/tmp/framephone-lab`) and the port from the environment; panics naming what is missing.
    pub fn from_env() -> LabTls {
        let lab = std::env::var_os("LAB_DIR").map_or_else(|| PathBuf::from("/tmp/framephone-lab"), PathBuf::from);
        let dir = lab.join("tls");
        let file = |name: &str| {
            let path = dir.join(name);
            assert!(path.is_file(), "{} is missing: start the lab (scripts/lab.sh start makes it)", path.display());
            path
        };
        let port = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|text| text.parse::<u16>().unwrap_or_else(|_| panic!("{name}={text:?} is not a port")))
        };
        let wss_port = port("LAB_WSS_PORT").unwrap_or_else(|| port("LAB_WS_PORT").unwrap_or(8088) + 1);
        LabTls { ca: file("ca.pem"), certificate: file("server.pem"), key: file("server.key"), wss_port }
    }

    /// `wss://127.0.0.1:PORT`, Kamailio's WebSocket over TLS.
    pub fn sip_server(&self) -> String {
        format!("wss://127.0.0.1:{}", self.wss_port)
    }
}

/// Starts the dev server on free ports with every origin (widget, ServiceNow, Salesforce) over
/// https with the lab's certificate, the widget's SIP server the lab's `wss://` port.
pub async fn devserver_over_https(tls: &LabTls) -> devserver::Running {
    let mut options = crate::lab_options(crate::dist_dir());
    options.sip_server = tls.sip_server();
    options.tls = Some(devserver::TlsFiles { certificate: tls.certificate.clone(), key: tls.key.clone() });
    devserver::start(options).await.expect("dev server starts over https")
}
