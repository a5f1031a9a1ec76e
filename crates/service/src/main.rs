//! `framephone-service`: runs the integration service, or makes a master key.
//!
//! ```text
//! framephone-service                      serve (settings from the environment, see --help)
//! framephone-service generate-key         print a new master key entry
//! framephone-service add-tenant SLUG NAME add a tenant and print its setup token
//! framephone-service tenants              list the tenants
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;

use service::master_key::Keyring;
use tracing_subscriber::EnvFilter;

const HELP: &str = "framephone-service: the Framephone integration service

USAGE
  framephone-service                        serve
  framephone-service generate-key           print a new master key entry (<id>:<base64>)
  framephone-service add-tenant SLUG NAME   add a tenant (a contact center) and print the setup token
                                            of its first administrator
  framephone-service tenants                list the tenants (slug, name, whether each has an administrator)

ENVIRONMENT
  FRAMEPHONE_MASTER_KEY       master keys, <id>:<base64 of 32 bytes>, comma-separated; the first seals
  FRAMEPHONE_MASTER_KEY_FILE  or a file with one key per line (used when the variable is unset)
  DATABASE_URL                sqlite://<file> (default sqlite://framephone-service.sqlite) or postgres://...
  FRAMEPHONE_SERVICE_ADDR     where to listen (default 127.0.0.1:8790)
  FRAMEPHONE_PUBLIC_URL       the https URL browsers use, behind a TLS proxy (Secure cookies, the CRMs' redirect URL)
  FRAMEPHONE_WIDGET_ORIGINS   the widget's origins, comma-separated: only they may call the widget's routes
  FRAMEPHONE_ADMIN_DIR        the admin UI's build (scripts/build-admin.sh), served at /admin/
  FRAMEPHONE_LOG              json (default when not a terminal) or text
  RUST_LOG                    log filter (default info)
";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn init_logs() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let json = match env("FRAMEPHONE_LOG").as_deref() {
        Some("text") => false,
        Some(_) => true,
        None => !terminal,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(terminal);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("generate-key") => {
            println!("{}", Keyring::generate_entry());
            ExitCode::SUCCESS
        }
        Some("add-tenant") => match (args.get(1), args.get(2), args.len()) {
            (Some(slug), Some(name), 3) => add_tenant(slug, name).await,
            _ => {
                eprintln!("framephone-service: add-tenant takes a slug and a name: add-tenant acme \"Acme Corp\"");
                ExitCode::from(2)
            }
        },
        Some("tenants") => list_tenants().await,
        Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("framephone-service: unknown command {other:?}\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> ExitCode {
    init_logs();
    let keys = match Keyring::from_sources(
        env("FRAMEPHONE_MASTER_KEY").as_deref(),
        env("FRAMEPHONE_MASTER_KEY_FILE").as_deref(),
    ) {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("framephone-service: {error}");
            return ExitCode::from(2);
        }
    };
    let address_text = env("FRAMEPHONE_SERVICE_ADDR").unwrap_or_else(|| "127.0.0.1:8790".into());
    let Ok(address) = address_text.parse::<SocketAddr>() else {
        eprintln!("framephone-service: FRAMEPHONE_SERVICE_ADDR {address_text:?} is not an address like 127.0.0.1:8790");
        return ExitCode::from(2);
    };
    let public_url = env("FRAMEPHONE_PUBLIC_URL");
    if let Some(url) = &public_url
        && !url.starts_with("https://")
        && !url.starts_with("http://127.0.0.1")
        && !url.starts_with("http://localhost")
    {
        eprintln!("framephone-service: FRAMEPHONE_PUBLIC_URL {url:?} must be https:// (or a loopback http:// address)");
        return ExitCode::from(2);
    }
    let options = service::Options {
        address,
        database_url: database_url(),
        keys,
        secure_cookies: public_url.as_deref().is_some_and(|u| u.starts_with("https://")),
        widget_origins: env("FRAMEPHONE_WIDGET_ORIGINS")
            .map(|list| {
                list.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect()
            })
            .unwrap_or_default(),
        retry: service::outbox::RetryPolicy::default(),
        admin_dir: env("FRAMEPHONE_ADMIN_DIR").map(std::path::PathBuf::from),
        public_url: public_url.clone(),
    };
    let running = match service::start(options).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("framephone-service: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(url = %running.url, database = running.database.backend.name(), "serving");
    for (slug, token) in &running.setup_tokens {
        // Printed, not logged: it must not end up in a log store. It is valid for 24 hours, once.
        print_setup_token(slug, token);
    }
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}

fn print_setup_token(slug: &str, token: &str) {
    if slug == service::tenants::DEFAULT {
        println!("No administrator yet. Create the first one with this setup token (valid 24 hours, once):\n  {token}");
    } else {
        println!(
            "Tenant {slug} has no administrator yet. Create the first one with this setup token (valid 24 hours, once):\n  {token}"
        );
    }
}

fn database_url() -> String {
    env("DATABASE_URL").unwrap_or_else(|| "sqlite://framephone-service.sqlite".into())
}

async fn open_database() -> Option<service::database::Database> {
    match service::database::Database::open(&database_url()).await {
        Ok(database) => Some(database),
        Err(error) => {
            eprintln!("framephone-service: {error}");
            None
        }
    }
}

async fn add_tenant(slug: &str, name: &str) -> ExitCode {
    let Some(database) = open_database().await else { return ExitCode::FAILURE };
    let tenant = match service::tenants::add(&database.pool, slug, name).await {
        Ok(tenant) => tenant,
        Err(error @ (service::tenants::AddError::Field(_) | service::tenants::AddError::Taken(_))) => {
            eprintln!("framephone-service: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("framephone-service: cannot add the tenant: {error}");
            return ExitCode::FAILURE;
        }
    };
    match service::setup::issue_if_needed(&database.pool, &tenant.id).await {
        Ok(Some(token)) => {
            println!("Tenant {} ({}) added.", tenant.slug, tenant.name);
            print_setup_token(&tenant.slug, &token);
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("framephone-service: cannot store the setup token: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn list_tenants() -> ExitCode {
    let Some(database) = open_database().await else { return ExitCode::FAILURE };
    let tenants = match service::tenants::all(&database.pool).await {
        Ok(tenants) => tenants,
        Err(error) => {
            eprintln!("framephone-service: {error}");
            return ExitCode::FAILURE;
        }
    };
    for tenant in tenants {
        let state = match service::people::admin_count(&database.pool, &tenant.id).await {
            Ok(0) => "no administrator yet".to_owned(),
            Ok(admins) => format!("{admins} administrator(s)"),
            Err(error) => format!("administrators unknown ({error})"),
        };
        println!("{}\t{}\t{state}", tenant.slug, tenant.name);
    }
    ExitCode::SUCCESS
}
