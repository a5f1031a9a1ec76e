//! The development server: the built widget on one loopback origin and each host emulator on
//! another, so that every cross-origin rule of a real deployment applies.
//!
//! | origin      | serves                                                                   |
//! |-------------|--------------------------------------------------------------------------|
//! | widget      | the Trunk build (`dist/`) and `framephone.json`, with the deployment headers |
//! | ServiceNow  | a workspace page with the OpenFrame panel, `openFrameAPI.min.js`, OAuth, the REST API |
//! | Salesforce  | Lightning and Classic pages, `opencti_min.js`, `interaction.js`          |
//!
//! Every origin is `http://` unless [`Options::tls`] names a certificate: then all three are
//! `https://`, as in a deployment.

mod config_file;
mod config_source;
mod emulators;
pub mod headers;
mod tls;
mod widget;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
pub use emulators::salesforce::SalesforceOrg;
pub use emulators::salesforce_oauth::{
    CONSUMER_KEY as SALESFORCE_CONSUMER_KEY, CONSUMER_SECRET as SALESFORCE_CONSUMER_SECRET,
    ORG_USER as SALESFORCE_ORG_USER,
};
pub use emulators::servicenow::{
    Field as ServiceNowField, INSTANCE_ADMIN as SERVICENOW_INSTANCE_ADMIN,
    OAUTH_CLIENT_ID as SERVICENOW_OAUTH_CLIENT_ID, Record as ServiceNowRecord,
    SERVICE_CLIENT_ID as SERVICENOW_SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET as SERVICENOW_SERVICE_CLIENT_SECRET,
    ServiceNowInstance,
};
pub use framephone::config::{IceServer, IceTransportPolicy};
pub use tls::TlsFiles;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How to start the server.
#[derive(Clone, Debug)]
pub struct Options {
    /// The Trunk output directory.
    pub dist: PathBuf,
    /// Loopback address to bind (only loopback addresses are accepted).
    pub address: IpAddr,
    /// Ports of the widget, ServiceNow and Salesforce origins; 0 picks a free one.
    pub ports: [u16; 3],
    /// The SIP lab's WebSocket URL the default configuration points the widget at.
    pub sip_server: String,
    /// The STUN and TURN servers of the default configuration (`ice.servers`): none unless told.
    pub ice_servers: Vec<IceServer>,
    /// The default configuration's `ice.transportPolicy`.
    pub ice_transport_policy: IceTransportPolicy,
    /// Serve every origin over https with this certificate; plain http when none.
    pub tls: Option<TlsFiles>,
    /// The integration service the default configuration names (`service.url`): ServiceNow's
    /// tokens and call logs then go through it.
    pub service: Option<String>,
    /// Where the widget's configuration comes from once it is there (a tenant's
    /// `http://…/t/<slug>/framephone.json` on the service), instead of the default one.
    pub config_url: Option<String>,
    /// A file the widget's configuration is served from, followed as it is edited (written with
    /// the default configuration when missing). Not with `config_url`.
    pub config_file: Option<PathBuf>,
}

/// Where the SIP lab listens for WebSocket clients unless told otherwise (`scripts/lab.sh`).
pub const DEFAULT_SIP_SERVER: &str = "ws://127.0.0.1:8088";

impl Options {
    /// Free ports on 127.0.0.1, for tests.
    pub fn ephemeral(dist: PathBuf) -> Self {
        Options {
            dist,
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: [0; 3],
            sip_server: DEFAULT_SIP_SERVER.to_owned(),
            ice_servers: Vec::new(),
            ice_transport_policy: IceTransportPolicy::All,
            tls: None,
            service: None,
            config_url: None,
            config_file: None,
        }
    }
}

/// A running server. Dropping it stops every origin.
pub struct Running {
    /// `http://127.0.0.1:PORT` (or `https://`) of the widget.
    pub widget: String,
    /// Origin of the ServiceNow emulator.
    pub servicenow: String,
    /// Origin of the Salesforce emulator.
    pub salesforce: String,
    config: Arc<RwLock<String>>,
    security_headers: Arc<AtomicBool>,
    servicenow_instance: ServiceNowInstance,
    salesforce_org: SalesforceOrg,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// The four views a person opens, each with its name.
    pub fn views(&self) -> [(&'static str, String); 4] {
        [
            ("ServiceNow", format!("{}/", self.servicenow)),
            ("Salesforce Lightning", format!("{}/lightning", self.salesforce)),
            ("Salesforce Classic", format!("{}/classic", self.salesforce)),
            ("Pop-out", format!("{}/", self.widget)),
        ]
    }

    /// The ServiceNow emulator's test controls and what was written to it.
    pub fn servicenow_instance(&self) -> ServiceNowInstance {
        self.servicenow_instance.clone()
    }

    /// The Salesforce emulator's org: the Tasks logged and the screen pops made there.
    pub fn salesforce_org(&self) -> SalesforceOrg {
        self.salesforce_org.clone()
    }

    /// Replaces the `framephone.json` the widget origin serves (tests of bad configurations).
    pub fn set_config(&self, text: impl Into<String>) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = text.into();
    }

    /// Serves the deployment headers (CSP, Referrer-Policy, Permissions-Policy…) on the widget's
    /// origin, as by default, or not: tests of what the widget itself does where a deployment
    /// forgot them.
    pub fn serve_security_headers(&self, on: bool) {
        self.security_headers.store(on, Ordering::SeqCst);
    }

    /// Changes the configuration served now: objects in `changes` are merged key by key into
    /// it, any other value replaces what was there.
    pub fn amend_config(&self, changes: serde_json::Value) {
        let current = self.config.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut config: serde_json::Value = serde_json::from_str(&current).unwrap_or_default();
        merge(&mut config, changes);
        self.set_config(serde_json::to_string_pretty(&config).unwrap_or_default());
    }
}

fn merge(base: &mut serde_json::Value, changes: serde_json::Value) {
    match (base, changes) {
        (serde_json::Value::Object(base), serde_json::Value::Object(changes)) => {
            for (key, value) in changes {
                merge(base.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
        (base, changes) => *base = changes,
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Binds every origin and starts serving.
pub async fn start(options: Options) -> io::Result<Running> {
    if !options.address.is_loopback() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the dev server binds only loopback addresses"));
    }
    let acceptor = options.tls.as_ref().map(tls::acceptor).transpose()?;
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let [widget_port, servicenow_port, salesforce_port] = options.ports;
    let widget_listener = bind(options.address, widget_port).await?;
    let servicenow_listener = bind(options.address, servicenow_port).await?;
    let salesforce_listener = bind(options.address, salesforce_port).await?;
    let origin = |l: &TcpListener| l.local_addr().map(|a| format!("{scheme}://{a}"));
    let widget = origin(&widget_listener)?;
    let servicenow = origin(&servicenow_listener)?;
    let salesforce = origin(&salesforce_listener)?;

    let config = Arc::new(RwLock::new(widget::default_config(&servicenow, &salesforce, &options)));
    let security_headers = Arc::new(AtomicBool::new(true));
    let pages = emulators::Pages { widget: widget.clone() };
    let servicenow_instance = ServiceNowInstance::new(&widget);
    let salesforce_org = SalesforceOrg::default();
    let serve = |listener, router| match &acceptor {
        Some(acceptor) => tls::serve(listener, router, acceptor.clone()),
        None => serve(listener, router),
    };
    let config_url = options.config_url.as_deref().map(config_url).transpose()?;
    if config_url.is_some() && options.config_file.is_some() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "choose --config-url or --config-file, not both"));
    }
    let config_file = match options.config_file.clone() {
        Some(path) => {
            let default = config.read().unwrap_or_else(|e| e.into_inner()).clone();
            Some(config_file::follow(path, &default, config.clone())?)
        }
        None => None,
    };
    let mut tasks = vec![
        serve(widget_listener, widget::router(options.dist, config.clone(), security_headers.clone())),
        serve(
            servicenow_listener,
            emulators::servicenow::router(pages.clone(), servicenow.clone(), servicenow_instance.clone()),
        ),
        serve(salesforce_listener, emulators::salesforce::router(pages, salesforce.clone(), salesforce_org.clone())),
    ];
    if let Some(url) = config_url {
        tasks.push(config_source::follow(url, config.clone()));
    }
    tasks.extend(config_file);
    Ok(Running { widget, servicenow, salesforce, config, security_headers, servicenow_instance, salesforce_org, tasks })
}

/// `--config-url`: a plain http URL (the service on loopback; a deployment fetches over https
/// itself).
fn config_url(text: &str) -> io::Result<hyper::Uri> {
    let invalid =
        |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("the configuration URL {text:?} {why}"));
    let uri: hyper::Uri = text.parse().map_err(|_| invalid("is not a URL"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(invalid("must be an http:// URL (the integration service on this machine)"));
    }
    Ok(uri)
}

async fn bind(address: IpAddr, port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::new(address, port)).await
}

fn serve(listener: TcpListener, router: Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            eprintln!("devserver: {error}");
        }
    })
}
