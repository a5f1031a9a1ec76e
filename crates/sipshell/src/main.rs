//! `sipshell`: a command-line phone on the project's SIP core. It registers, then reads
//! commands from standard input (one per line) and prints every event.
//!
//! ```text
//! sipshell --server ws://127.0.0.1:8088 --user 1001 --password lab-1001-pw [--domain framephone.test]
//!          [--transport ws|wss|udp] [--auto-answer]
//! commands: call TARGET | answer [CALL] | reject CALL [STATUS] | hangup CALL | hold CALL |
//!           resume CALL | dtmf CALL DIGITS | transfer CALL TARGET | attended CALL CONSULTATION |
//!           message TARGET TEXT | subscribe TARGET [presence|dialog] |
//!           publish available|busy|away|offline [NOTE] | wait SECONDS | quit
//! ```
//! Calls carry a fixed test SDP: the shell exercises signalling, not media.

use std::process::ExitCode;
use std::time::Duration;

use sip::agent::{AgentConfig, CallRef, Event, Package, Server, TransportKind};
use sip::auth::Credentials;
use sip::body::PresenceState;
use sip::message::Uri;
use sipshell::Phone;
use tokio::io::{AsyncBufReadExt, BufReader};

const SDP: &str = "v=0\r\no=sipshell 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n";

struct Options {
    server: String,
    transport: TransportKind,
    user: String,
    password: String,
    domain: String,
    auto_answer: bool,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut server, mut user, mut password, mut transport) = (None, None, None, None);
    let mut domain = "framephone.test".to_owned();
    let mut auto_answer = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--server" => server = Some(value()?),
            "--user" => user = Some(value()?),
            "--password" => password = Some(value()?),
            "--domain" => domain = value()?,
            "--transport" => {
                transport = Some(match value()?.as_str() {
                    "ws" => TransportKind::Ws,
                    "wss" => TransportKind::Wss,
                    "udp" => TransportKind::Udp,
                    other => return Err(format!("unknown transport {other}: use ws, wss or udp")),
                })
            }
            "--auto-answer" => auto_answer = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    let server = server.ok_or("--server is required")?;
    let transport = transport.unwrap_or(if server.starts_with("wss://") {
        TransportKind::Wss
    } else if server.starts_with("ws://") {
        TransportKind::Ws
    } else {
        TransportKind::Udp
    });
    Ok(Options {
        server,
        transport,
        user: user.ok_or("--user is required")?,
        password: password.ok_or("--password is required")?,
        domain,
        auto_answer,
    })
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(why) => {
            eprintln!(
                "sipshell: {why}\nusage: sipshell --server URL|HOST:PORT --user USER --password PASSWORD [--domain DOMAIN] [--transport ws|wss|udp] [--auto-answer]"
            );
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(why) => {
            eprintln!("sipshell: {why}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("sipshell: {why}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let aor = Uri::parse(format!("sip:{}@{}", options.user, options.domain).as_bytes()).map_err(|e| e.to_string())?;
    let config = AgentConfig::new(
        aor,
        Credentials { username: options.user.clone(), password: options.password.clone() },
        vec![Server { address: options.server.clone(), transport: options.transport }],
        format!(
            "urn:uuid:5e1f0000-0000-4000-8000-{:012}",
            options.user.bytes().fold(0u64, |a, b| a * 31 + u64::from(b)) % 1_000_000_000_000
        ),
    );
    let mut phone = Phone::start(config).map_err(|e| e.to_string())?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut ringing: Vec<CallRef> = Vec::new();
    let mut input_open = true;
    // Commands wait for the first registration (or its failure), so that scripts can call at once.
    let mut ready = false;
    // `wait` pauses reading commands, not handling events.
    let mut paused_until: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            event = phone.next_event(Duration::from_secs(3600)) => {
                let Some(event) = event else { continue };
                println!("event: {event:?}");
                match event {
                    Event::Registered { .. } | Event::RegistrationFailed(_) => ready = true,
                    Event::Incoming { call, .. } => {
                        if options.auto_answer {
                            phone.send(move |ua, now| { let _ = ua.answer(now, call, SDP.into()); });
                        } else {
                            ringing.push(call);
                        }
                    }
                    Event::RemoteOffer { call, .. } => phone.send(move |ua, now| { let _ = ua.accept_offer(now, call, SDP.into()); }),
                    Event::Transferring { new_call, .. } => phone.send(move |ua, now| { let _ = ua.send_offer(now, new_call, SDP.into()); }),
                    Event::Ended { call, .. } => ringing.retain(|c| *c != call),
                    Event::Stopped => return Ok(()),
                    _ => {}
                }
            }
            () = tokio::time::sleep_until(paused_until.unwrap_or_else(tokio::time::Instant::now)), if paused_until.is_some() => {
                paused_until = None;
            }
            line = lines.next_line(), if ready && input_open && paused_until.is_none() => match line {
                Ok(Some(line)) => {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    if let ["wait", seconds] = words.as_slice() {
                        let seconds: f64 = seconds.parse().unwrap_or(1.0);
                        paused_until = Some(tokio::time::Instant::now() + Duration::from_secs_f64(seconds));
                    } else if let Err(why) = command(&phone, line.trim(), &mut ringing).await {
                        println!("error: {why}");
                    }
                }
                _ => {
                    input_open = false;
                    phone.send(|ua, now| ua.stop(now));
                }
            },
        }
    }
}

async fn command(phone: &Phone, line: &str, ringing: &mut [CallRef]) -> Result<(), String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let call = |index: usize| -> Result<CallRef, String> {
        words
            .get(index)
            .and_then(|w| w.parse().ok())
            .map(CallRef)
            .ok_or_else(|| format!("{line}: which call? give its number"))
    };
    let text = |from: usize| words.get(from..).map(|w| w.join(" ")).unwrap_or_default();
    let target = words.get(1).map(|w| (*w).to_owned()).unwrap_or_default();
    let result = match words.first().copied() {
        None => Ok(()),
        Some("call") => {
            phone.run(move |ua, now| ua.call(now, &target, SDP.into()).map(|c| println!("call: {}", c.0))).await
        }
        Some("answer") => {
            let call = call(1).or_else(|_| ringing.last().copied().ok_or("nothing is ringing".to_owned()))?;
            phone.run(move |ua, now| ua.answer(now, call, SDP.into())).await
        }
        Some("reject") => {
            let (call, status) = (call(1)?, words.get(2).and_then(|s| s.parse().ok()).unwrap_or(486));
            phone.run(move |ua, now| ua.reject(now, call, status)).await
        }
        Some("hangup") => {
            let call = call(1)?;
            phone.run(move |ua, now| ua.hang_up(now, call)).await
        }
        Some("hold") => {
            let call = call(1)?;
            phone.run(move |ua, now| ua.reoffer(now, call, SDP.replace("sendrecv", "sendonly"))).await
        }
        Some("resume") => {
            let call = call(1)?;
            phone.run(move |ua, now| ua.reoffer(now, call, SDP.into())).await
        }
        Some("dtmf") => {
            let (call, digits) = (call(1)?, text(2));
            phone.run(move |ua, now| digits.chars().try_for_each(|d| ua.send_dtmf(now, call, d, 160))).await
        }
        Some("transfer") => {
            let (call, target) = (call(1)?, text(2));
            phone.run(move |ua, now| ua.transfer(now, call, &target)).await
        }
        Some("attended") => {
            let (call, consultation) = (call(1)?, call(2)?);
            phone.run(move |ua, now| ua.transfer_attended(now, call, consultation)).await
        }
        Some("message") => {
            let body = text(2);
            phone.run(move |ua, now| ua.send_message(now, &target, &body).map(|m| println!("message: {}", m.0))).await
        }
        Some("subscribe") => {
            let package = if words.get(2) == Some(&"dialog") { Package::Dialog } else { Package::Presence };
            phone
                .run(move |ua, now| ua.subscribe(now, &target, package).map(|s| println!("subscription: {}", s.0)))
                .await
        }
        Some("publish") => {
            let state = match words.get(1).copied() {
                Some("available") => PresenceState::Available,
                Some("busy") => PresenceState::Busy,
                Some("away") => PresenceState::Away,
                Some("offline") => PresenceState::Offline,
                _ => return Err("publish available|busy|away|offline [NOTE]".into()),
            };
            let note = text(2);
            phone.send(move |ua, now| ua.publish(now, state, (!note.is_empty()).then_some(note.as_str())));
            Ok(())
        }
        Some("quit") => {
            phone.send(|ua, now| ua.stop(now));
            Ok(())
        }
        Some(other) => return Err(format!("unknown command {other}")),
    };
    result.map_err(|e| e.to_string())
}
