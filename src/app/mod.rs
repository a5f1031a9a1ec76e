//! The app: loads the configuration, finds the host, refuses it or connects to it, and wires
//! the three parts together. The phone's model goes down into the components' signals; their
//! commands come up to the session, which carries them out on the phone; what the phone tells
//! (a call ringing) goes to the host.

mod attention;
mod crm;
mod instances;
pub mod language;
mod leave_guard;
mod moves;
mod web_lock;
mod windows;

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::activity::RecordRef;
use crate::browser::mark;
use crate::command::{Command, Commands};
use crate::config::{ConfigProblem, fetch_config};
use crate::credentials::KeptSignIn;
use crate::desk::{AppEvent, DeskEvent};
use crate::display_name::DisplayName;
use crate::host::{self, DetectError, EventSink, Framing, Host, HostEvent, HostKind, check_standalone_framing, detect};
use crate::i18n::{t, t_args};
use crate::model::PhoneSnapshot;
use crate::session::PhoneSession;
use crate::sync::envelope::Body;
use crate::sync::home::PhoneHome;
use crate::sync::message::Place;
use crate::ui::{ErrorScreen, HostStatus, Phone, PhoneState};
use instances::{Instances, SyncEvent};

/// How long the first render waits for the Web Lock to say whether the phone runs here (it
/// answers within a few milliseconds).
const OWNERSHIP_WAIT_MS: i32 = 50;

/// Where start-up has got to.
#[derive(Clone)]
enum Boot {
    Loading,
    ConfigInvalid(Vec<ConfigProblem>),
    Refused(DetectError),
    Ready(Box<PhoneState>),
}

/// The top-level component.
#[component]
pub fn App() -> impl IntoView {
    let boot = RwSignal::new(Boot::Loading);
    spawn_local(start(boot));
    move || match boot.get() {
        Boot::Loading => view! { <p class="fp-loading" role="status">{t("boot.starting")}</p> }.into_any(),
        Boot::ConfigInvalid(problems) => view! {
            <ErrorScreen
                title=t("boot.config-problems")
                lines=problems.iter().map(ToString::to_string).collect()
                hint=t("boot.config-problems-hint")
            />
        }
        .into_any(),
        Boot::Refused(error) => view! {
            <ErrorScreen
                title=t("boot.refused")
                lines=vec![error.to_string()]
                hint=t("boot.refused-hint")
            />
        }
        .into_any(),
        Boot::Ready(state) => {
            provide_context(*state);
            mark("interactive");
            view! { <Phone /> }.into_any()
        }
    }
}

async fn start(boot: RwSignal<Boot>) {
    // Earlier versions stored the password in clear: it goes before anything else runs.
    crate::credentials::migrate();
    // The browser's language until the configuration names one: its problems are told in it.
    language::speak(None).await;
    let config = match fetch_config().await {
        Ok(config) => config,
        Err(problems) => {
            crate::phone::take_the_pages_socket(None).await;
            return boot.set(Boot::ConfigInvalid(problems));
        }
    };
    mark("configured");
    // The socket the page opened for a kept sign-in, if it is to the server the checked
    // configuration names (else it closes); it goes again below if the page may not run the
    // phone.
    crate::phone::take_the_pages_socket(Some(&config)).await;
    language::speak(config.language).await;
    let placement = match detect(&url_parameters(), &config) {
        Ok(placement) => placement,
        Err(error) => {
            crate::phone::drop_socket_ahead();
            return boot.set(Boot::Refused(error));
        }
    };
    // The pop-out framed by a page the administrator did not allow stops here, before a
    // remembered sign-in can start.
    if placement.kind == HostKind::Standalone
        && let Err(error) = check_standalone_framing(&framing(), &config)
    {
        crate::phone::drop_socket_ahead();
        return boot.set(Boot::Refused(error));
    }
    if let Some(origin) = &placement.origin {
        host::guard_messages(origin);
    }
    // The phone's other windows hear of this one at once: a pop-out holding a call waits for
    // no host handshake to show it here.
    let instances = Instances::start(Place::of(placement.kind));
    // A Salesforce page whose URL does not say Lightning or Classic answers one library only.
    let placement = host::settle(placement).await;
    mark("host-known");
    mark_host(placement.kind);
    // The pop-out does its CRM work through a framed window attached to the CRM.
    let remote = (placement.kind == HostKind::Standalone).then(|| {
        let instances = instances.clone();
        Rc::new(host::RemoteHost::new(move |body| instances.send(body)))
    });
    // One session at the integration service for the window: the phone's sign-in and the CRM's.
    let service = config.service.as_ref().map(|service| {
        let instance = placement.origin.clone().filter(|_| placement.kind == HostKind::ServiceNow);
        host::ServiceSession::new(service.url.clone(), instance)
    });
    let host = match &remote {
        Some(remote) => remote.clone() as Rc<dyn Host>,
        None => host::for_placement(&placement, &config.crm, service.as_ref()),
    };
    let dialled_from = Rc::new(RefCell::new(DialledFrom::default()));
    let origin = placement.origin.as_ref().map(ToString::to_string);
    let parts = Parts {
        host: host.clone(),
        remote,
        origin,
        dialled_from: dialled_from.clone(),
        instances: instances.clone(),
        service,
    };
    let (state, link) = wire(placement.kind, &config, parts);
    // A reload that owns the phone starts its kept sign-in (its WebSocket) before the first
    // render, which then runs during the handshake instead of before it.
    instances.home_known(OWNERSHIP_WAIT_MS).await;
    if !instances.home().here() {
        // Another window runs the phone (or may): the socket opened for it here goes.
        crate::phone::drop_socket_ahead();
    }
    boot.set(Boot::Ready(Box::new(state)));
    let events: EventSink = {
        let host = host.clone();
        Rc::new(move |event| on_host_event(event, state, &host, &dialled_from))
    };
    let status = match host.connect(&config.panel, events).await {
        Ok(()) => {
            link.host_attached();
            HostStatus::Connected
        }
        Err(error) => HostStatus::Failed(error.to_string()),
    };
    state.host_status.set(status);
    show_calls_on_the_host(state, host, &config.panel.title);
}

/// The CRM records an outbound call is logged against: the one whose number the agent
/// clicked, else the one in view.
#[derive(Default)]
struct DialledFrom {
    clicked: Option<(String, RecordRef)>,
    in_view: Option<RecordRef>,
}

impl DialledFrom {
    fn record_for(&self, number: &str) -> Option<RecordRef> {
        let number = crate::dial_string::normalise(number).unwrap_or_default();
        let clicked = self.clicked.as_ref().filter(|(clicked, _)| *clicked == number);
        clicked.map(|(_, record)| record.clone()).or_else(|| self.in_view.clone())
    }
}

/// What start-up found, for [`wire`] to join together.
struct Parts {
    /// The CRM page's host (or the pop-out's).
    host: Rc<dyn Host>,
    /// In the pop-out: the same host, whose CRM work a framed window does.
    remote: Option<Rc<host::RemoteHost>>,
    /// The CRM page's origin, which names the outbox.
    origin: Option<String>,
    dialled_from: Rc<RefCell<DialledFrom>>,
    instances: Instances,
    /// The window's session at the integration service, when one is configured.
    service: Option<host::ServiceSession>,
}

/// Makes the components' state, the session behind their commands, the CRM link, and the
/// routes between them, the host and the phone's other windows; the phone starts here if this
/// window owns it.
fn wire(kind: HostKind, config: &crate::config::Config, parts: Parts) -> (PhoneState, crm::CrmLink) {
    let Parts { host, remote, origin, dialled_from, instances: joined, service } = parts;
    let session = StoredValue::new_local(None::<PhoneSession>);
    let link = StoredValue::new_local(None::<crm::CrmLink>);
    let instances = StoredValue::new_local(Some(joined.clone()));
    let shown = StoredValue::new_local(None::<PhoneState>);
    // Carries a command out on the phone in this window.
    let carry_out: Rc<dyn Fn(Command)> = Rc::new({
        let dialled_from = dialled_from.clone();
        move |command| {
            let Some(session) = session.get_value() else { return };
            match (command, link.get_value()) {
                (Command::Dial(number), _) => {
                    let record = dialled_from.borrow().record_for(&number);
                    session.dial(number, record);
                }
                (Command::RetryLog(key), Some(link)) => link.retry(&key),
                (Command::AuthoriseCrm, Some(link)) => link.authorise(),
                (Command::SignOut, _) => {
                    session.run(Command::SignOut);
                    // The other windows forget the sign-in too, so that none brings it back.
                    instances.with_value(|i| i.as_ref().map(|i| i.send(Body::KeptSignIn(None))));
                }
                (command, _) => session.run(command),
            }
        }
    });
    // Sends a command to where the phone runs; held until that is known (a sign-in typed in
    // the first moment after the page loads).
    let pending = StoredValue::new_local(Vec::<Command>::new());
    let route: Rc<dyn Fn(Command)> = {
        let carry_out = carry_out.clone();
        Rc::new(move |command| {
            let Some(instances) = instances.get_value() else { return };
            match instances.home() {
                PhoneHome::Finding => pending.update_value(|held| held.push(command)),
                home if home.here() => carry_out(command),
                // The owner's window may have no CRM page to know the record by.
                _ => match command {
                    Command::Dial(number) => {
                        let record = dialled_from.borrow().record_for(&number);
                        instances.send(Body::Dial { number, record });
                    }
                    command => instances.send(Body::for_command(command)),
                },
            }
        })
    };
    // Pop in was asked during calls: the phone goes back once they have moved or ended.
    let popping_in = RwSignal::new(false);
    let commands = {
        let (carry_out, route) = (carry_out.clone(), route.clone());
        let crm_window = remote.clone();
        Commands::new(move |command| {
            let (Some(instances), Some(state)) = (instances.get_value(), shown.get_value()) else { return };
            match command {
                Command::PopOut => windows::pop_out(&instances, state),
                Command::UsePhoneHere => instances.use_phone_here(),
                Command::PopIn => {
                    let to = crm_window.as_ref().and_then(|remote| remote.server());
                    moves::pop_in(&instances, state, session.get_value(), to, popping_in);
                }
                // This window's CRM link.
                Command::RetryLog(_) | Command::AuthoriseCrm => carry_out(command),
                command => route(command),
            }
        })
    };
    let send_held = move || {
        for command in pending.try_update_value(std::mem::take).unwrap_or_default() {
            route(command);
        }
    };
    let state = PhoneState::new(kind, config.clone(), commands);
    shown.set_value(Some(state));
    let crm_link = crm::CrmLink::new(host.clone(), state, origin);
    link.set_value(Some(crm_link.clone()));
    let tell = move |event: AppEvent| {
        if let (AppEvent::TookOver { call_id, result }, Some(instances), Some(session)) =
            (&event, instances.get_value(), session.get_value())
        {
            moves::taken(call_id, result, &session, &instances);
        }
        if let (Some(link), Some(session)) = (link.get_value(), session.get_value()) {
            link.on_event(&event, &session);
        }
    };
    // Calls the owner handed to this pop-out, taken over once its phone is registered.
    let taking = moves::Taking::default();
    let registered = Rc::new(std::cell::Cell::new(false));
    let show = {
        let taking = taking.clone();
        move |snapshot: PhoneSnapshot| {
            if let Some(instances) = instances.get_value() {
                instances.publish(&snapshot);
                // A new sign-in: whoever owns the phone next signs in with it.
                if !registered.replace(snapshot.session.registered()) && snapshot.session.registered() {
                    instances.send(Body::KeptSignIn(crate::credentials::kept().map(|(kept, _)| kept)));
                }
                if !instances.owns() {
                    // The phone runs here only to take calls over: the owner's model is shown.
                    if snapshot.session.registered() {
                        session.with_value(|s| s.as_ref().map(|s| taking.when_registered(s)));
                    }
                    return;
                }
            }
            state.show(snapshot);
        }
    };
    let running = PhoneSession::new(config.clone(), service, show, tell);
    session.set_value(Some(running.clone()));
    if kind != HostKind::Standalone {
        let instances = joined.clone();
        crm_link.offer_with(move || instances.offer_crm());
    }
    let handed = Rc::new(RefCell::new(None::<KeptSignIn>));
    let on_sync = move |event: SyncEvent| match event {
        SyncEvent::Home(home) => {
            state.home.set(home);
            if home == (PhoneHome::Here { pop_out_waits: true })
                && let Some(instances) = instances.get_value()
            {
                // The pop-out waits for the calls here: they move to it if they can.
                moves::hand_over(&running, instances, None);
            }
        }
        SyncEvent::Own => {
            mark("owner");
            if let Some(remote) = &remote {
                remote.look_for_crm();
            }
            // This window's calls make the logs from now on: it delivers them.
            if let Some(link) = link.get_value() {
                link.take_charge(true);
            }
            if running.runs() {
                // Started to take the owner's calls over: its model, calls and all, shows now.
                running.republish();
            } else {
                // Whatever a mirror showed of the owner before is not this phone's.
                state.show(PhoneSnapshot::default());
                match handed.borrow_mut().take() {
                    Some(kept) => running.resume_with(&kept),
                    None => running.resume(),
                }
            }
            send_held();
        }
        SyncEvent::Stop => {
            running.stop();
            send_held();
        }
        SyncEvent::Snapshot(snapshot) => state.show(snapshot),
        SyncEvent::Command(command) => carry_out(command),
        SyncEvent::KeptSignIn(kept) => {
            if kept.is_none() {
                crate::credentials::forget();
            }
            *handed.borrow_mut() = kept;
        }
        SyncEvent::PopIn(asked_by) => {
            if let Some(instances) = instances.get_value() {
                moves::pop_in(&instances, state, Some(running.clone()), Some(asked_by), popping_in);
            }
        }
        SyncEvent::Heard { from, body } => {
            let Some(instances) = instances.get_value() else { return };
            match body {
                Body::Dial { number, record } => running.dial(number, record),
                Body::MoveCalls { calls, .. } => taking.take(calls, &running, handed.borrow().clone(), instances),
                Body::CallMoved { call_id, result } => running.tell(DeskEvent::Moved { call_id, result }),
                body => {
                    if let Some(link) = link.get_value() {
                        crm::on_heard(&link, remote.as_deref(), &instances, from, body);
                    }
                }
            }
        }
        SyncEvent::Joined => instances.with_value(|i| {
            let Some(instances) = i else { return };
            instances.publish(&state.snapshot());
            if let Some((kept, _)) = crate::credentials::kept() {
                instances.send(Body::KeptSignIn(Some(kept)));
            }
        }),
    };
    joined.attach(on_sync);
    windows::keep_busy_in_step(state, instances);
    moves::pop_in_after_calls(state, joined.clone(), popping_in);
    attention::notify_while_hidden(state, host.clone());
    attention::show_panel_when_ringing(state, host);
    leave_guard::ask_before_leaving_a_call(state);
    // Call timers and the After Call Work countdown.
    state.clock.set(js_sys::Date::now());
    let _ = set_interval_with_handle(move || state.clock.set(js_sys::Date::now()), std::time::Duration::from_secs(1));
    crm_link.take_charge(false);
    (state, crm_link)
}

/// Keeps the host's label in step with the calls: "Ringing: Ana (1002)", "On call 1:05"; the
/// panel title (or nothing, for OpenFrame's subtitle) when there is none.
fn show_calls_on_the_host(state: PhoneState, host: Rc<dyn Host>, title: &str) {
    let idle = if host.kind() == HostKind::ServiceNow { String::new() } else { title.to_owned() };
    let label = Memo::new(move |_| state.calls.with(|calls| crate::model::label(calls, state.clock.get())));
    Effect::new(move |first: Option<()>| {
        let text = label.get().unwrap_or_else(|| idle.clone());
        if first.is_some() {
            let host = host.clone();
            spawn_local(async move {
                if let Err(error) = host.set_label(&text).await {
                    web_sys::console::warn_1(&error.to_string().into());
                }
            });
        }
    });
}

fn on_host_event(event: HostEvent, state: PhoneState, host: &Rc<dyn Host>, dialled_from: &RefCell<DialledFrom>) {
    match event {
        HostEvent::ClickToDial(request) => {
            dialled_from.borrow_mut().clicked = request.record.clone().map(|record| (request.number.clone(), record));
            state.apply_dial_request(request.number, request.record_name.as_deref());
            attention::show_panel(host);
        }
        HostEvent::ClickToDialRefused(reason) => {
            let notice = t_args("session.click-to-dial-refused", &[("host", &state.host.label()), ("reason", &reason)]);
            state.view_notice.set(Some(notice));
        }
        HostEvent::RecordInView(record) => {
            dialled_from.borrow_mut().in_view = record.clone();
            let name = record.map(|record| DisplayName::new(&record.name)).filter(|name| !name.is_empty());
            state.record_in_view.set(name);
        }
    }
}

/// Whether the page is framed, and what the browser tells of the pages around it.
fn framing() -> Framing {
    let Some(window) = web_sys::window() else { return Framing::Top };
    if !crate::browser::framed() {
        return Framing::Top;
    }
    let ancestors = js_sys::Reflect::get(&window.location(), &"ancestorOrigins".into())
        .ok()
        .filter(|list| list.is_object())
        .map(|list| {
            let length = js_sys::Reflect::get(&list, &"length".into()).ok().and_then(|n| n.as_f64()).unwrap_or(0.0);
            (0..length as u32)
                .filter_map(|i| js_sys::Reflect::get_u32(&list, i).ok().and_then(|o| o.as_string()))
                .collect()
        });
    let referrer = window.document().map(|d| d.referrer()).unwrap_or_default();
    Framing::Framed { ancestor_origins: ancestors, referrer }
}

/// The page's query parameters, decoded.
fn url_parameters() -> Vec<(String, String)> {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return vec![];
    };
    js_sys::Array::from(&params)
        .iter()
        .filter_map(|pair| {
            let pair = js_sys::Array::from(&pair);
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// Lets the style sheet take on the host's look.
fn mark_host(kind: HostKind) {
    let name = match kind {
        HostKind::ServiceNow => "servicenow",
        HostKind::SalesforceLightning => "lightning",
        HostKind::SalesforceClassic => "classic",
        HostKind::Standalone => "standalone",
    };
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-host", name);
    }
}
