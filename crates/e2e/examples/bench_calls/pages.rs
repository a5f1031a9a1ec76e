//! Two signed-in pages of one phone, the widget's or JsSIP's, each with the same recorder
//! (`recorder.js`) installed before the page's own scripts, driven through the same buttons.

use std::path::Path;
use std::time::{Duration, Instant};

use devserver::{IceServer, IceTransportPolicy};
use e2e::{
    Browser, ExtendedDist, PATIENCE, by_role, devserver_with_files, devserver_with_ice, eventually, wait_for_role,
};
use fantoccini::Client;
use serde::Deserialize;

/// The page recorder: clicks, INVITEs as handed to `WebSocket.send`, first RTP of remote tracks.
const RECORDER: &str = include_str!("recorder.js");
const JSSIP_PAGE: &str = include_str!("jssip.html");
const JSSIP_DRIVER: &str = include_str!("jssip.js");
/// How long the bench lets a page settle between finding a button and clicking it.
const SETTLE: Duration = Duration::from_millis(300);
/// The lab's SIP domain (`LAB_DOMAIN` of `scripts/lab.sh`).
const DOMAIN: &str = "framephone.test";

/// Which phone the pages run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phone {
    /// The widget (release build in `dist/`), its pop-out view.
    Framephone,
    /// JsSIP's browser bundle on a page of the bench's own (`jssip.html`, `jssip.js`).
    JsSip,
}

/// The origin that serves the JsSIP page and bundle (one for the whole run: the ICE servers
/// are handed to the page when it signs in).
pub struct JsSipSite {
    server: devserver::Running,
    _files: ExtendedDist,
}

impl JsSipSite {
    /// Serves `jssip.html`, `jssip.js` and the bundle at `bundle` beside the widget's build.
    pub async fn start(bundle: &Path) -> JsSipSite {
        let library = std::fs::read(bundle).unwrap_or_else(|e| {
            panic!("{}: {e} (scripts/bench-calls.sh builds JsSIP's browser bundle there)", bundle.display())
        });
        let files: [(&str, &[u8]); 3] =
            [("jssip.html", JSSIP_PAGE.as_bytes()), ("jssip.js", JSSIP_DRIVER.as_bytes()), ("jssip.min.js", &library)];
        let (server, files) = devserver_with_files(&files).await;
        // The widget's CSP is for the widget; this page is not it.
        server.serve_security_headers(false);
        JsSipSite { server, _files: files }
    }
}

/// A caller and a callee, signed in and idle.
pub struct Pair {
    phone: Phone,
    caller: Browser,
    callee: Browser,
    /// The page both open.
    url: String,
    /// The caller's and the callee's lab users.
    users: [&'static str; 2],
    _widget: Option<devserver::Running>,
}

/// What the recorder saw for one call: a click, then what it led to.
pub struct Recorded {
    /// The click's event time.
    pub click: f64,
    /// When the INVITE was handed to `WebSocket.send` (caller) or the first RTP packet came
    /// (callee).
    pub at: f64,
    /// The INVITE's text (caller), else empty.
    pub text: String,
}

/// One click the recorder saw: when, and its button's text.
#[derive(Clone, Debug, Deserialize)]
pub struct Click {
    /// The click's event time.
    pub at: f64,
    /// When its first listener ran (the page's main thread free for it).
    #[serde(default)]
    pub dispatched: f64,
    /// The clicked button's text, empty if it was no button.
    pub name: String,
}

/// One SIP message handed to `WebSocket.send` or received.
#[derive(Clone, Debug, Deserialize)]
pub struct Packet {
    /// When.
    pub at: f64,
    /// Its first line.
    pub line: String,
    /// Its CSeq's method.
    pub method: String,
    /// The whole text of an INVITE, else empty.
    pub text: String,
}

impl Packet {
    /// Whether this is a response with a status in `statuses`.
    pub fn is_response(&self, statuses: std::ops::RangeInclusive<u16>) -> bool {
        self.line
            .strip_prefix("SIP/2.0 ")
            .and_then(|rest| rest.get(..3)?.parse::<u16>().ok())
            .is_some_and(|code| statuses.contains(&code))
    }

    /// Whether this is a request of `method`.
    pub fn is_request(&self, method: &str) -> bool {
        self.line.strip_prefix(method).is_some_and(|rest| rest.starts_with(' '))
    }
}

/// What a page's recorder saw since it was loaded or last [`forget`]: times in ms on the
/// machine's clock, so that two pages' records compare.
#[derive(Clone, Debug, Deserialize)]
pub struct Log {
    /// When the page's navigation started.
    pub start: f64,
    /// Clicks.
    pub clicks: Vec<Click>,
    /// SIP messages handed to the WebSocket.
    pub sent: Vec<Packet>,
    /// SIP messages received.
    pub received: Vec<Packet>,
    /// Each time the status turned to "Registered as …".
    pub registered: Vec<f64>,
    /// Remote tracks' first RTP packets.
    pub audio: Vec<f64>,
    /// The page's uncaught errors and unhandled rejections.
    pub errors: Vec<String>,
    /// Each WebSocket made.
    #[serde(default)]
    pub sockets: Vec<f64>,
    /// Each WebSocket's open event.
    #[serde(default)]
    pub opened: Vec<f64>,
    /// The page's User Timing marks (the widget's `framephone:*`), on the same clock.
    #[serde(default)]
    pub marks: Vec<Mark>,
}

/// A User Timing mark.
#[derive(Clone, Debug, Deserialize)]
pub struct Mark {
    /// Its name.
    pub name: String,
    /// When, on the machine's clock.
    pub at: f64,
}

impl Log {
    /// The last click on the button named `name`.
    pub fn click(&self, name: &str) -> Option<f64> {
        self.last_click(name).map(|c| c.at)
    }

    /// The last click on the button named `name`, with when its listeners ran.
    pub fn last_click(&self, name: &str) -> Option<&Click> {
        self.clicks.iter().rev().find(|c| c.name == name)
    }

    /// The first time in `times` at or after `after`.
    pub fn first_after(times: &[f64], after: f64) -> Option<f64> {
        times.iter().copied().find(|&at| at >= after)
    }

    /// The first message sent at or after `after` that `matches`.
    pub fn sent_after(&self, after: f64, matches: impl Fn(&Packet) -> bool) -> Option<&Packet> {
        self.sent.iter().find(|p| p.at >= after && matches(p))
    }

    /// The first message received at or after `after` that `matches`.
    pub fn received_after(&self, after: f64, matches: impl Fn(&Packet) -> bool) -> Option<&Packet> {
        self.received.iter().find(|p| p.at >= after && matches(p))
    }
}

/// Reads what `client`'s recorder saw.
pub async fn log(client: &Client) -> Log {
    let script = "return Object.assign({}, window.__bench, { marks: performance.getEntriesByType('mark')
                    .map((m) => ({ name: m.name, at: performance.timeOrigin + m.startTime })) })";
    let value = client.execute(script, vec![]).await.expect("read the recorder");
    serde_json::from_value(value).expect("the recorder's log")
}

/// Waits up to `limit` for `found` to find its value in the log of `client`.
pub async fn wait_in_log<T>(client: &Client, limit: Duration, found: impl Fn(&Log) -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = found(&log(client).await) {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Pair {
    /// Opens and signs in the caller and callee of `phone` with these ICE servers and policy:
    /// the widget from a dev server of its own whose configuration has them, JsSIP from `site`.
    pub async fn open(phone: Phone, servers: &[IceServer], policy: IceTransportPolicy, site: &JsSipSite) -> Pair {
        let (caller, callee) = (Browser::start().await, Browser::start().await);
        for browser in [&caller, &callee] {
            e2e::devtools_result(
                &browser.client,
                "Page.addScriptToEvaluateOnNewDocument",
                serde_json::json!({ "source": RECORDER }),
            )
            .await;
        }
        let (url, users, widget) = match phone {
            Phone::Framephone => {
                let server = devserver_with_ice(servers.to_vec(), policy).await;
                (format!("{}/", server.widget), ["1001", "1002"], Some(server))
            }
            Phone::JsSip => (jssip_url(site, servers, policy), ["1003", "1004"], None),
        };
        for (browser, user) in [(&caller, users[0]), (&callee, users[1])] {
            browser.client.goto(&url).await.expect("open the phone");
            Pair::sign_in(&browser.client, user).await;
        }
        let pair = Pair { phone, caller, callee, url, users, _widget: widget };
        pair.type_number().await;
        pair
    }

    /// Which phone the pages run.
    pub fn phone(&self) -> Phone {
        self.phone
    }

    /// The caller's page.
    pub fn caller(&self) -> &Client {
        &self.caller.client
    }

    /// The callee's page.
    pub fn callee(&self) -> &Client {
        &self.callee.client
    }

    /// Clicks a button of `client`'s page by its accessible name, once the page has settled.
    pub async fn click(client: &Client, name: &str) {
        let button = by_role(client, "button", name).await.unwrap_or_else(|e| panic!("the {name} button: {e}"));
        // The lookup turns Chromium's accessibility tree on and leaves it work to finish (more
        // in the larger page), and typing leaves renders behind: a person's click comes after
        // the page has settled, so the bench's clicks do too.
        tokio::time::sleep(SETTLE).await;
        button.click().await.unwrap_or_else(|e| panic!("click {name}: {e}"));
    }

    /// Types lab user `user`'s name and password into the sign-in form and clicks Sign in.
    async fn sign_in(client: &Client, user: &str) {
        let username = wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the Username box");
        username.send_keys(user).await.expect("type the username");
        let password = by_role(client, "textbox", "Password").await.expect("the Password box");
        password.send_keys(&format!("lab-{user}-pw")).await.expect("type the password");
        Pair::click(client, "Sign in").await;
        e2e::wait_for_status(client, &format!("Registered as {user}")).await;
    }

    /// Waits until the callee's phone rings.
    pub async fn rings(&self) {
        wait_for_role(self.callee(), "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    }

    /// Waits until the caller's call shows `state` ("Connected", "On hold").
    pub async fn caller_shows(&self, state: &str) {
        eventually(&format!("the call to show {state}"), || async {
            let text = e2e::call_text(self.caller()).await?;
            text.contains(state).then_some(())
        })
        .await;
    }

    /// The callee turns the ringing call down.
    pub async fn decline(&self) {
        Pair::click(self.callee(), "Decline").await;
        self.idle().await;
    }

    /// The caller hangs up.
    pub async fn hang_up(&self) {
        Pair::click(self.caller(), "Hang up").await;
        self.idle().await;
    }

    /// The caller signs out, then signs in again through the form.
    pub async fn sign_in_again(&self) {
        Pair::click(self.caller(), "Sign out").await;
        wait_for_role(self.caller(), "textbox", "Username", PATIENCE).await.expect("the sign-in form again");
        forget(self.caller()).await;
        Pair::sign_in(self.caller(), self.users[0]).await;
        self.type_number().await;
    }

    /// The caller's page is opened again (the files are in the browser's cache) and resumes
    /// the sign-in it kept.
    pub async fn reload(&self) {
        self.caller().goto(&self.url).await.expect("open the phone again");
        e2e::wait_for_status(self.caller(), &format!("Registered as {}", self.users[0])).await;
        self.type_number().await;
    }

    /// The caller's Number box holds the callee's number, whatever it held before.
    async fn type_number(&self) {
        let number = wait_for_role(self.caller(), "textbox", "Number", PATIENCE).await.expect("the Number box");
        number.clear().await.expect("clear the number");
        number.send_keys(self.users[1]).await.expect("type the number");
    }

    /// Waits until neither page has a call.
    pub async fn idle(&self) {
        for client in [self.caller(), self.callee()] {
            eventually("the call to end", || async {
                let busy = e2e::call_region(client).await.is_ok()
                    || by_role(client, "alertdialog", "Incoming call").await.is_ok();
                (!busy).then_some(())
            })
            .await;
        }
    }

    /// Ends both sessions.
    pub async fn close(self) {
        self.caller.close().await;
        self.callee.close().await;
    }
}

/// Forgets what the page's recorder saw so far.
pub async fn forget(client: &Client) {
    let script = "const b = window.__bench; for (const k of ['clicks', 'sent', 'received', 'registered', 'audio', 'errors']) b[k] = [];";
    client.execute(script, vec![]).await.expect("clear the recorder");
}

/// Waits up to `limit` until the recorder has seen a click on `name` and then `what` ("invite"
/// sent or "audio" received), and returns both; none if `what` did not come in time.
pub async fn recorded(client: &Client, name: &str, what: &str, limit: Duration) -> Option<Recorded> {
    wait_in_log(client, limit, |log| {
        let click = log.click(name)?;
        if what == "audio" {
            let at = *log.audio.iter().find(|&&at| at >= click)?;
            return Some(Recorded { click, at, text: String::new() });
        }
        let invite = log.sent_after(click, |p| p.is_request("INVITE"))?;
        Some(Recorded { click, at: invite.at, text: invite.text.clone() })
    })
    .await
}

/// The JsSIP page with the lab's server and these ICE servers and policy in its query.
fn jssip_url(site: &JsSipSite, servers: &[IceServer], policy: IceTransportPolicy) -> String {
    let ws = format!("ws://127.0.0.1:{}", std::env::var("LAB_WS_PORT").unwrap_or_else(|_| "8088".into()));
    let ice_servers: Vec<_> = servers
        .iter()
        .map(|s| serde_json::json!({ "urls": s.urls, "username": s.username, "credential": s.credential }))
        .collect();
    let policy = if policy == IceTransportPolicy::Relay { "relay" } else { "all" };
    let ice = serde_json::to_string(&ice_servers).expect("ICE servers as JSON");
    let mut url = url::Url::parse(&format!("{}/jssip.html", site.server.widget)).expect("the JsSIP page's URL");
    url.query_pairs_mut()
        .append_pair("ws", &ws)
        .append_pair("domain", DOMAIN)
        .append_pair("ice", &ice)
        .append_pair("policy", policy);
    url.into()
}
