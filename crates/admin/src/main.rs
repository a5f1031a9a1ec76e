//! The integration service's admin UI, served by the service at `/admin/`: sign-in (with a
//! password, with single sign-on, or the first administrator with the setup token), integration
//! accounts and their actions, people, the call logs the service posts, the tenant's widget
//! configuration, single sign-on, call credentials, and the audit log. Everything it does goes
//! through the service's REST API (`api`).

mod account_form;
mod accounts;
mod api;
mod app;
mod audit;
mod call_credentials;
mod call_logs;
mod fields;
mod people;
mod sign_in;
mod sso_certificate;
mod sso_settings;
mod widget_config;
mod wizard;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
