//! Two signed-in pages of one phone, the widget's or JsSIP's, each with the same recorder
//! (`recorder.js`) installed before the page's own scripts, driven through the same buttons.

use std::path::Path;
use std::time::{Duration, Instant};

use devserver::{IceServer, IceTransportPolicy};
use e2e::{
    Browser, ExtendedDist, PATIENCE, by_role, devserver_with_files, devserver_with_ice, eventually, wait_for_role,
};
use fantoccini::Client;

/// The page recorder: clicks, INVITEs as handed to `WebSocket.send`, first RTP of remote tracks.
const RECORDER: &str = include_str!("recorder.js");
const JSSIP_PAGE: &str = include_str!("jssip.html");
const JSSIP_DRIVER: &str = include_str!("jssip.js");
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
    _widget: Option<devserver::Running>,
}

/// What the recorder saw for one call, in the page's clock.
pub struct Recorded {
    /// The click's event time.
    pub click: f64,
    /// When the INVITE was handed to `WebSocket.send` (caller) or the first RTP packet came
    /// (callee).
    pub at: f64,
    /// The INVITE's text (caller), else empty.
    pub text: String,
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
        let widget = match phone {
            Phone::Framephone => {
                let server = devserver_with_ice(servers.to_vec(), policy).await;
                let url = format!("{}/", server.widget);
                for (browser, user) in [(&caller, "1001"), (&callee, "1002")] {
                    browser.client.goto(&url).await.expect("open the widget");
                    e2e::sign_in(&browser.client, user).await;
                }
                let number = by_role(&caller.client, "textbox", "Number").await.expect("the Number box");
                number.send_keys("1002").await.expect("type the number");
                Some(server)
            }
            Phone::JsSip => {
                let url = format!("{}/jssip.html", site.server.widget);
                for (browser, user) in [(&caller, "1003"), (&callee, "1004")] {
                    browser.client.goto(&url).await.expect("open the JsSIP page");
                    jssip_start(&browser.client, user, servers, policy).await;
                }
                None
            }
        };
        Pair { phone, caller, callee, _widget: widget }
    }

    /// The caller's page.
    pub fn caller(&self) -> &Client {
        &self.caller.client
    }

    /// The callee's page.
    pub fn callee(&self) -> &Client {
        &self.callee.client
    }

    /// Clicks a button of `client`'s page by its accessible name.
    pub async fn click(client: &Client, name: &str) {
        let button = by_role(client, "button", name).await.unwrap_or_else(|e| panic!("the {name} button: {e}"));
        button.click().await.unwrap_or_else(|e| panic!("click {name}: {e}"));
    }

    /// Waits until the callee's phone rings.
    pub async fn rings(&self) {
        match self.phone {
            Phone::Framephone => {
                wait_for_role(self.callee(), "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
            }
            Phone::JsSip => {
                eventually("JsSIP to ring", || async {
                    (jssip_state(self.callee()).await == "incoming").then_some(())
                })
                .await;
            }
        }
    }

    /// The callee turns the ringing call down.
    pub async fn decline(&self) {
        let name = if self.phone == Phone::Framephone { "Decline" } else { "Hang up" };
        Pair::click(self.callee(), name).await;
        self.idle().await;
    }

    /// The caller hangs up.
    pub async fn hang_up(&self) {
        Pair::click(self.caller(), "Hang up").await;
        self.idle().await;
    }

    /// Waits until neither page has a call.
    async fn idle(&self) {
        for client in [self.caller(), self.callee()] {
            eventually("the call to end", || async {
                let busy = match self.phone {
                    Phone::Framephone => {
                        by_role(client, "region", "Active call").await.is_ok()
                            || by_role(client, "alertdialog", "Incoming call").await.is_ok()
                    }
                    Phone::JsSip => jssip_state(client).await != "idle",
                };
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
    let script = "window.__bench.clicks = []; window.__bench.invites = []; window.__bench.audio = [];";
    client.execute(script, vec![]).await.expect("clear the recorder");
}

/// Waits up to `limit` until the recorder has seen a click and then `what` ("invites" or
/// "audio"), and returns both; none if `what` did not come in time.
pub async fn recorded(client: &Client, what: &str, limit: Duration) -> Option<Recorded> {
    let script = "const b = window.__bench, list = b[arguments[0]]; \
                  if (!b.clicks.length || !list.length) return null; \
                  const first = list[0]; \
                  return [b.clicks[0], typeof first === 'number' ? first : first.at, first.text || ''];";
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let value = client.execute(script, vec![what.into()]).await.expect("read the recorder");
        if let Some(found) = value.as_array() {
            let number = |i: usize| found.get(i).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
            let text = found.get(2).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
            return Some(Recorded { click: number(0), at: number(1), text });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Registers the JsSIP page as lab user `user`, calling the other JsSIP user of the pair.
async fn jssip_start(client: &Client, user: &str, servers: &[IceServer], policy: IceTransportPolicy) {
    let ws = format!("ws://127.0.0.1:{}", std::env::var("LAB_WS_PORT").unwrap_or_else(|_| "8088".into()));
    let other = if user == "1003" { "1004" } else { "1003" };
    let ice_servers: Vec<_> = servers
        .iter()
        .map(|s| serde_json::json!({ "urls": s.urls, "username": s.username, "credential": s.credential }))
        .collect();
    let policy = if policy == IceTransportPolicy::Relay { "relay" } else { "all" };
    let settings = serde_json::json!({
        "ws": ws, "domain": DOMAIN, "user": user, "password": format!("lab-{user}-pw"),
        "target": format!("sip:{other}@{DOMAIN}"), "iceServers": ice_servers, "policy": policy,
    });
    let script = "const done = arguments[arguments.length - 1]; \
                  window.jssipBench.start(arguments[0]).then(done, e => done('failed: ' + e.message));";
    let outcome = client.execute_async(script, vec![settings]).await.expect("start JsSIP");
    assert_eq!(outcome.as_str(), Some("registered"), "JsSIP registers as {user}");
}

async fn jssip_state(client: &Client) -> String {
    let value = client.execute("return window.jssipBench.state()", vec![]).await.expect("JsSIP's state");
    value.as_str().unwrap_or_default().to_owned()
}
