//! SIPp, which no one here wrote, plays the far end over UDP through the Kamailio lab, and the
//! agent (over WebSocket) calls it or is called by it: answered, busy, a 200 crossing our
//! CANCEL, and a re-INVITE glare with the RFC 3261 retry timing. The scenarios are in
//! `lab/sipp/`; `scripts/test.sh` starts the lab and runs these with `--ignored`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sip::agent::{AgentConfig, CallEnd, CallRef, Event, RejectKind, Server, TransportKind};
use sip::auth::Credentials;
use sip::message::Uri;
use sipshell::Phone;

const WAIT: Duration = Duration::from_secs(10);
const SDP: &str =
    "v=0\r\no=lab 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n";

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn lab_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lab/sipp").join(name)
}

fn udp_port() -> u16 {
    setting("LAB_UDP_PORT", "5060").parse().expect("LAB_UDP_PORT")
}

/// SIPp registered as `user`, playing `scenario` for the call that comes in (or, for a uac
/// scenario, calling `callee`).
struct Sipp {
    child: Child,
    errors: PathBuf,
}

impl Sipp {
    fn answering(user: &str, scenario: &str, port_offset: u16) -> Sipp {
        Sipp::spawn(
            user,
            &["-sf", path(lab_file("registered.xml")).as_str(), "-oocsf", path(lab_file(scenario)).as_str()],
            port_offset,
            scenario,
        )
    }

    fn calling(user: &str, scenario: &str, callee: &str, port_offset: u16, extra: &[&str]) -> Sipp {
        let mut args = vec!["-sf".to_owned(), path(lab_file(scenario)), "-set".into(), "callee".into(), callee.into()];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Sipp::spawn(user, &args, port_offset, scenario)
    }

    fn spawn(user: &str, args: &[&str], port_offset: u16, name: &str) -> Sipp {
        let dir = PathBuf::from(setting("LAB_DIR", "/tmp/framephone-lab"));
        // Bindings an earlier SIPp left would take a share of our calls (parallel forking).
        let _ = Command::new("kamcmd")
            .arg("-s")
            .arg(format!("unix:{}", dir.join("kamailio_ctl").display()))
            .args(["ul.rm", "location", &format!("s:{user}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let errors = dir.join(format!("sipp-{name}-errors.log"));
        let _ = std::fs::remove_file(&errors);
        let password = format!("lab-{user}-pw");
        let port = (udp_port() + port_offset).to_string();
        let server = format!("127.0.0.1:{}", udp_port());
        let domain = setting("LAB_DOMAIN", "framephone.test");
        let child = Command::new("sipp")
            .args(args)
            .args(["-i", "127.0.0.1", "-p", &port, "-m", "1", "-s", user, "-au", user, "-ap", &password])
            .args(["-set", "domain", &domain, "-timeout", "30s", "-timeout_error", "-trace_err"])
            .arg("-error_file")
            .arg(&errors)
            .arg(&server)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp (Debian's sip-tester) must be installed: scripts/bootstrap.sh");
        Sipp { child, errors }
    }

    /// Waits for SIPp to finish and checks that its scenario passed.
    async fn passed(mut self) {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("sipp") {
                let errors = std::fs::read_to_string(&self.errors).unwrap_or_default();
                assert!(status.success(), "SIPp failed ({status}):\n{errors}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self.child.kill();
        panic!("SIPp did not finish in 30 s");
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn path(path: PathBuf) -> String {
    path.to_string_lossy().into_owned()
}

async fn agent(user: &str) -> Phone {
    let domain = setting("LAB_DOMAIN", "framephone.test");
    let config = AgentConfig::new(
        Uri::parse(format!("sip:{user}@{domain}").as_bytes()).expect("aor"),
        Credentials { username: user.into(), password: format!("lab-{user}-pw") },
        vec![Server {
            address: format!("ws://127.0.0.1:{}", setting("LAB_WS_PORT", "8088")),
            transport: TransportKind::Ws,
        }],
        format!("urn:uuid:5199e000-0000-4000-8000-00000000{user}"),
    );
    let mut phone = Phone::start(config).expect("config");
    phone.wait_for(WAIT, |e| matches!(e, Event::Registered { .. }).then_some(())).await.expect("registered");
    phone
}

/// Calls `target`, again while SIPp has not registered yet (480); returns the call and whether
/// it was answered already.
async fn call_when_registered(phone: &mut Phone, target: &'static str) -> (CallRef, bool) {
    for _ in 0..50 {
        let call = phone.run(move |ua, now| ua.call(now, target, SDP.into())).await.expect("call");
        let outcome = phone
            .wait_for(WAIT, |e| match e {
                Event::Progress { call: c, .. } if *c == call => Some(Ok(false)),
                Event::Established { call: c, .. } if *c == call => Some(Ok(true)),
                Event::Ended { call: c, reason } if *c == call => Some(Err(reason.clone())),
                _ => None,
            })
            .await
            .expect("an answer");
        match outcome {
            Err(CallEnd::Rejected { status: 480, .. }) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(other) => panic!("the call failed: {other:?}"),
            Ok(answered) => return (call, answered),
        }
    }
    panic!("SIPp never registered");
}

/// Calls `target` and waits until the call is up.
async fn answered_call(phone: &mut Phone, target: &'static str) -> CallRef {
    let (call, answered) = call_when_registered(phone, target).await;
    if !answered {
        phone
            .wait_for(WAIT, |e| matches!(e, Event::Established { call: c, .. } if *c == call).then_some(()))
            .await
            .expect("the call is answered");
    }
    call
}

async fn ended(phone: &mut Phone, call: CallRef) -> CallEnd {
    phone
        .wait_for(Duration::from_secs(20), |e| match e {
            Event::Ended { call: c, reason } if *c == call => Some(reason.clone()),
            _ => None,
        })
        .await
        .expect("the end of the call")
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab and SIPp (scripts/test.sh)"]
async fn sipp_answers_our_call_and_we_hang_up() {
    let mut phone = agent("1001").await;
    let sipp = Sipp::answering("1002", "uas-answer.xml", 20);
    let call = answered_call(&mut phone, "1002").await;
    phone.run(move |ua, now| ua.hang_up(now, call)).await.expect("hang up");
    sipp.passed().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab and SIPp (scripts/test.sh)"]
async fn a_busy_sipp_ends_our_call_as_busy() {
    let mut phone = agent("1001").await;
    let sipp = Sipp::answering("1002", "uas-busy.xml", 21);
    let mut outcome = None;
    for _ in 0..50 {
        let call = phone.run(|ua, now| ua.call(now, "1002", SDP.into())).await.expect("call");
        match ended(&mut phone, call).await {
            CallEnd::Rejected { status: 480, .. } => tokio::time::sleep(Duration::from_millis(100)).await,
            other => {
                outcome = Some(other);
                break;
            }
        }
    }
    let Some(CallEnd::Rejected { status: 486, kind: RejectKind::Busy, .. }) = outcome else { panic!("{outcome:?}") };
    sipp.passed().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab and SIPp (scripts/test.sh)"]
async fn a_200_crossing_our_cancel_is_acknowledged_and_ended_with_bye() {
    let mut phone = agent("1001").await;
    let sipp = Sipp::answering("1002", "uas-cancel-race.xml", 22);
    let (call, _) = call_when_registered(&mut phone, "1002").await;
    phone.run(move |ua, now| ua.hang_up(now, call)).await.expect("cancel");
    assert_eq!(ended(&mut phone, call).await, CallEnd::HungUpHere);
    sipp.passed().await;
    let events = phone.drain();
    assert!(!events.iter().any(|e| matches!(e, Event::Established { .. } | Event::Ended { .. })), "{events:?}");
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab and SIPp (scripts/test.sh)"]
async fn glare_is_answered_491_and_our_offer_is_retried_in_the_owners_window() {
    let mut phone = agent("1001").await;
    let sipp = Sipp::answering("1002", "uas-glare.xml", 23);
    let call = answered_call(&mut phone, "1002").await;
    phone.run(move |ua, now| ua.reoffer(now, call, SDP.replace("sendrecv", "sendonly"))).await.expect("hold");
    phone
        .wait_for(WAIT, |e| matches!(e, Event::OfferAnswered { call: c, .. } if *c == call).then_some(()))
        .await
        .expect("answered");
    assert_eq!(ended(&mut phone, call).await, CallEnd::HungUpThere);
    sipp.passed().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab and SIPp (scripts/test.sh)"]
async fn sipp_calls_us_we_answer_and_it_hangs_up() {
    let mut phone = agent("1002").await;
    let sipp = Sipp::calling("1001", "uac-call.xml", "1002", 24, &["-d", "300"]);
    let call = phone
        .wait_for(WAIT, |e| if let Event::Incoming { call, .. } = e { Some(*call) } else { None })
        .await
        .expect("incoming");
    phone.run(move |ua, now| ua.answer(now, call, SDP.into())).await.expect("answer");
    phone
        .wait_for(WAIT, |e| matches!(e, Event::Established { call: c, .. } if *c == call).then_some(()))
        .await
        .expect("up");
    assert_eq!(ended(&mut phone, call).await, CallEnd::HungUpThere);
    sipp.passed().await;
}
