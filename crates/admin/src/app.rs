//! The page: who is signed in, and the tabs of a signed-in administrator.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::accounts::Accounts;
use crate::api;
use crate::audit::Audit;
use crate::call_credentials::CallCredentials;
use crate::call_logs::CallLogs;
use crate::people::People;
use crate::sign_in::SignIn;
use crate::sso_settings::SsoSettings;
use crate::widget_config::WidgetConfig;

/// Which tab is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Accounts,
    People,
    CallLogs,
    WidgetConfig,
    SingleSignOn,
    CallCredentials,
    Audit,
}

impl Tab {
    fn label(self) -> &'static str {
        match self {
            Tab::Accounts => "Integration accounts",
            Tab::People => "People",
            Tab::CallLogs => "Call logs",
            Tab::WidgetConfig => "Widget configuration",
            Tab::SingleSignOn => "Single sign-on",
            Tab::CallCredentials => "Call credentials",
            Tab::Audit => "Audit log",
        }
    }
}

/// The signed-in administrator (`None`: signed out; the outer `None`: not known yet).
#[derive(Clone, Copy)]
pub struct Session(pub RwSignal<Option<Option<Value>>>);

/// The admin UI.
#[component]
pub fn App() -> impl IntoView {
    let session = Session(RwSignal::new(None));
    provide_context(session);
    spawn_local(async move {
        match api::call("GET", "/api/admin/session", None).await {
            Ok(answer) => {
                api::set_csrf(answer["csrfToken"].as_str().map(str::to_owned));
                session.0.set(Some(Some(answer["person"].clone())));
            }
            Err(_) => session.0.set(Some(None)),
        }
    });
    view! {
        <header>
            <h1>"Framephone administration"</h1>
            {move || session.0.get().flatten().map(|person| view! { <SignedIn person /> })}
        </header>
        <main>
            {move || match session.0.get() {
                None => view! { <p class="fp-muted" role="status">"Loading…"</p> }.into_any(),
                Some(None) => view! { <SignIn /> }.into_any(),
                Some(Some(_)) => view! { <Tabs /> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn SignedIn(person: Value) -> impl IntoView {
    let session = expect_context::<Session>();
    let name = person["displayName"].as_str().unwrap_or("").to_owned();
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::call("DELETE", "/api/admin/session", None).await;
            api::set_csrf(None);
            session.0.set(Some(None));
        });
    };
    view! {
        <span class="fp-muted">{format!("Signed in as {name}")}</span>
        <button type="button" on:click=sign_out>"Sign out"</button>
    }
}

#[component]
fn Tabs() -> impl IntoView {
    let tab = RwSignal::new(Tab::Accounts);
    let tabs = [
        Tab::Accounts,
        Tab::People,
        Tab::CallLogs,
        Tab::WidgetConfig,
        Tab::SingleSignOn,
        Tab::CallCredentials,
        Tab::Audit,
    ];
    view! {
        <nav role="tablist" aria-label="Administration">
            {tabs
                .into_iter()
                .map(|t| {
                    view! {
                        <button
                            type="button"
                            role="tab"
                            aria-selected=move || (tab.get() == t).to_string()
                            on:click=move |_| tab.set(t)
                        >
                            {t.label()}
                        </button>
                    }
                })
                .collect_view()}
        </nav>
        <div role="tabpanel" aria-label=move || tab.get().label()>
            {move || match tab.get() {
                Tab::Accounts => view! { <Accounts /> }.into_any(),
                Tab::People => view! { <People /> }.into_any(),
                Tab::CallLogs => view! { <CallLogs /> }.into_any(),
                Tab::WidgetConfig => view! { <WidgetConfig /> }.into_any(),
                Tab::SingleSignOn => view! { <SsoSettings /> }.into_any(),
                Tab::CallCredentials => view! { <CallCredentials /> }.into_any(),
                Tab::Audit => view! { <Audit /> }.into_any(),
            }}
        </div>
    }
}
