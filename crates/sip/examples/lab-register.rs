//! `lab-register SERVER USER PASSWORD [DOMAIN]`: registers USER over UDP with a real registrar
//! (the SIP lab in the test run), driving [`sip::registration::Registration`] through a client
//! transaction over a blocking socket, then unregisters. Exits 0 when both succeeded.
//! A diagnostic for the sans-IO core; the user agent's own shell comes with the user agent.

use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sip::auth::Credentials;
use sip::message::{Message, Uri};
use sip::random::Random;
use sip::random::SplitMix;
use sip::registration::{Registration, RegistrationConfig, RegistrationEvent, RegistrationOutput};
use sip::transaction::{Action, ClientNonInvite, TimerValues, Transport};
use sip::{Millis, Response};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [server, user, password, rest @ ..] = args.as_slice() else {
        eprintln!("usage: lab-register SERVER USER PASSWORD [DOMAIN]");
        return ExitCode::from(2);
    };
    let domain = rest.first().map_or("framephone.test", String::as_str);
    match run(server, user, password, domain) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("lab-register: {why}");
            ExitCode::FAILURE
        }
    }
}

fn run(server: &str, user: &str, password: &str, domain: &str) -> Result<(), String> {
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    socket.connect(server).map_err(|e| format!("{server}: {e}"))?;
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    let uri = |text: String| Uri::parse(text.as_bytes()).map_err(|e| format!("{text}: {e}"));
    let config = RegistrationConfig {
        registrar: uri(format!("sip:{domain}"))?,
        aor: uri(format!("sip:{user}@{domain}"))?,
        contact: uri(format!("sip:{user}@{local}"))?,
        via_host: local.to_string(),
        via_transport: "UDP".into(),
        instance_id: "urn:uuid:00000000-0000-4000-8000-00000000f00d".into(),
        reg_id: 1,
        expires: 60,
        credentials: Credentials { username: user.into(), password: password.into() },
    };
    let started = Instant::now();
    let now = || Millis(started.elapsed().as_millis() as u64);
    let mut ids = SplitMix(u64::from(local.port()) ^ 0x9e37_79b9_7f4a_7c15);
    let mut registration = Registration::new(config, ids.token(), ids.token());
    let mut outputs = registration.register(&mut ids);
    loop {
        let mut request = None;
        let mut next = Vec::new();
        for output in outputs.drain(..) {
            match output {
                RegistrationOutput::Send(r) => request = Some(*r),
                RegistrationOutput::Event(RegistrationEvent::Registered { expires }) => {
                    println!("registered {user} for {expires} s");
                    next = registration.unregister(&mut ids);
                }
                RegistrationOutput::Event(RegistrationEvent::Unregistered) => {
                    println!("unregistered {user}");
                    return Ok(());
                }
                RegistrationOutput::Event(RegistrationEvent::Failed(why)) => return Err(format!("{why:?}")),
                RegistrationOutput::RefreshAt(_) => {}
            }
        }
        outputs = match request {
            Some(request) => {
                let response = exchange(&socket, request, &now)?;
                registration.on_response(now(), &response, &mut ids)
            }
            None if !next.is_empty() => next,
            None => return Err("the registration stopped without a result".into()),
        };
    }
}

/// Runs one client transaction over the socket until it delivers a final response.
fn exchange(socket: &UdpSocket, request: sip::Request, now: &dyn Fn() -> Millis) -> Result<Response, String> {
    let (mut transaction, mut actions) =
        ClientNonInvite::start(request, now(), TimerValues::default(), Transport::Unreliable);
    let mut timers = Vec::new();
    loop {
        for action in actions.drain(..) {
            match action {
                Action::Send(bytes) => {
                    socket.send(&bytes).map_err(|e| e.to_string())?;
                }
                Action::Deliver(response) if response.status >= 200 => return Ok(response),
                Action::Schedule(timer, at) => timers.push((timer, at)),
                Action::Cancel(timer) => timers.retain(|(t, _)| *t != timer),
                Action::Failed(failure) => return Err(format!("transaction failed: {failure:?}")),
                _ => {}
            }
        }
        let next = timers.iter().map(|(_, at)| *at).min().unwrap_or(now() + 1000);
        let wait = (next - now()).max(1);
        socket.set_read_timeout(Some(Duration::from_millis(wait))).map_err(|e| e.to_string())?;
        let mut buffer = [0u8; 65_535];
        match socket.recv(&mut buffer) {
            Ok(n) => {
                if let Ok(Message::Response(response)) = Message::parse(&buffer[..n]) {
                    actions = transaction.on_response(now(), response);
                }
            }
            Err(_) => {
                let due: Vec<_> = timers.iter().filter(|(_, at)| *at <= now()).map(|(t, _)| *t).collect();
                timers.retain(|(_, at)| *at > now());
                actions = due.into_iter().flat_map(|timer| transaction.on_timer(now(), timer)).collect();
            }
        }
    }
}
