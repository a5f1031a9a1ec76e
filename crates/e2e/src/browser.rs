//! One headless Chromium session behind a ChromeDriver of its own.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::{Child, Command};

/// A browser session; ChromeDriver and Chromium end when it is dropped, even when a test
/// panics before [`Browser::close`].
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    _driver: Child,
    profile: PathBuf,
    /// How it was started, for [`Browser::crash_and_restart`].
    accept_media_prompts: bool,
    /// The browser's language when not the default (en-US), for the same.
    language: Option<&'static str>,
    /// Set once another session took the profile over.
    handed_on: bool,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.handed_on {
            return;
        }
        // Chromium outlives a killed ChromeDriver; its private profile directory names it.
        let _ = std::process::Command::new("pkill").arg("-f").arg(&self.profile).status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    /// Starts ChromeDriver (`$CHROMEDRIVER` or `chromedriver` on PATH) and a headless Chromium
    /// (`$CHROME` or `/usr/bin/chromium`) with fake media devices, whose media prompts are
    /// accepted at once; its microphone plays a voice of its own ([`crate::voice_wav`]).
    pub async fn start() -> Browser {
        Browser::launch(true, None, None).await
    }

    /// Starts like [`Browser::start`], speaking `language` (a BCP 47 tag such as `ja`):
    /// `navigator.languages` and `Accept-Language` say it, as on an agent's computer set up so.
    pub async fn start_in_language(language: &'static str) -> Browser {
        Browser::launch(true, None, Some(language)).await
    }

    /// Starts like [`Browser::start`], trusting the certificate authority in the PEM file `ca`
    /// (the lab's, [`crate::LabTls`]) as a company's computers trust their own: Chromium finds
    /// it in the NSS database of its home directory, which for this browser is one of its own
    /// (`certutil`, Debian's libnss3-tools). Certificate checks stay on: anything the CA did not
    /// sign is refused as usual.
    pub async fn start_trusting(ca: &Path) -> Browser {
        Browser::launch(true, Some(ca), None).await
    }

    /// Starts like [`Browser::start`], but `getUserMedia` follows the origin's permission, as
    /// set with [`crate::set_permission`]: denied, it refuses (`NotAllowedError`); granted, it
    /// opens the fake microphone. While the permission is neither, headless Chromium refuses
    /// too, as a dismissed prompt. ([`Browser::start`]'s `--use-fake-ui-for-media-stream`
    /// grants every request whatever the permission says, even a denied one.)
    pub async fn start_with_media_permissions() -> Browser {
        Browser::launch(false, None, None).await
    }

    /// Kills every Chromium process of this session at once (SIGKILL, as a crash: no page gets
    /// to run another line) and starts a new session on the same profile, whose storage
    /// (IndexedDB, localStorage) is what the browser had written by then.
    pub async fn crash_and_restart(mut self) -> Browser {
        let _ = std::process::Command::new("pkill").arg("-KILL").arg("-f").arg(&self.profile).status();
        self.handed_on = true;
        let (profile, accept, language) = (self.profile.clone(), self.accept_media_prompts, self.language);
        drop(self);
        Browser::launch_in(profile, accept, None, language).await
    }

    async fn launch(accept_media_prompts: bool, trusted_ca: Option<&Path>, language: Option<&'static str>) -> Browser {
        let profile = std::env::temp_dir().join(format!("framephone-e2e-{}", free_port()));
        Browser::launch_in(profile, accept_media_prompts, trusted_ca, language).await
    }

    async fn launch_in(
        profile: PathBuf,
        accept_media_prompts: bool,
        trusted_ca: Option<&Path>,
        language: Option<&'static str>,
    ) -> Browser {
        let port = free_port();
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let mut driver = Command::new(&driver_path);
        if let Some(ca) = trusted_ca {
            // ChromeDriver hands its environment down to Chromium.
            driver.env("HOME", trusting_home(&profile, ca));
        }
        let driver = driver
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_path}: {e} (scripts/bootstrap.sh installs it)"));
        let chrome = std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into());
        // Each browser speaks with a voice of its own (see `voice_wav` for why not the beep).
        let voice = profile.join("voice.wav");
        std::fs::create_dir_all(&profile)
            .and_then(|()| std::fs::write(&voice, crate::voice_wav(u64::from(port))))
            .expect("write the fake microphone's voice");
        let mut options = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chrome,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--window-size=1280,900",
                    "--use-fake-device-for-media-stream",
                    format!("--use-file-for-fake-audio-capture={}", voice.display()),
                    "--autoplay-policy=no-user-gesture-required",
                    // WebRTC between pages on 127.0.0.1 gathers no candidate without it.
                    "--allow-loopback-in-peer-connection",
                    // Lets the calling bench collect garbage before it reads the heap.
                    "--js-flags=--expose-gc",
                    // A cross-site frame in the page's process: WebDriver computes the roles
                    // and names inside it (not in a frame of its own process), while its
                    // storage and channels stay partitioned under the page's site.
                    "--disable-site-isolation-trials",
                    format!("--user-data-dir={}", profile.display())
                ]
            }
        });
        if let Some(args) = options["goog:chromeOptions"]["args"].as_array_mut() {
            if accept_media_prompts {
                args.push("--use-fake-ui-for-media-stream".into());
            }
            if let Some(language) = language {
                args.push(format!("--lang={language}").into());
                args.push(format!("--accept-lang={language}").into());
            }
        }
        if let Some(language) = language {
            options["goog:chromeOptions"]["prefs"] = serde_json::json!({ "intl.accept_languages": language });
        }
        let capabilities: Capabilities = serde_json::from_value(options).expect("capabilities are an object");
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            match builder.capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => {
                    return Browser {
                        client,
                        _driver: driver,
                        profile,
                        accept_media_prompts,
                        language,
                        handed_on: false,
                    };
                }
                Err(error) => last_error = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ChromeDriver at {url} did not start a session: {last_error}");
    }

    /// Ends the session (Chromium exits), then ChromeDriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// A home directory inside `profile` whose NSS database (`.pki/nssdb`, where Chromium on Linux
/// keeps the certificates its user trusts) trusts `ca` to identify web servers.
fn trusting_home(profile: &Path, ca: &Path) -> PathBuf {
    let home = profile.join("home");
    // A profile directory left by an earlier run on the same port holds a database already.
    let _ = std::fs::remove_dir_all(&home);
    let database = home.join(".pki/nssdb");
    std::fs::create_dir_all(&database).expect("make the browser's certificate database directory");
    let database = format!("sql:{}", database.display());
    let certutil = |args: &[&str]| {
        let output = std::process::Command::new("certutil").args(args).output().unwrap_or_else(|e| {
            panic!("cannot run certutil: {e} (Debian's libnss3-tools; scripts/bootstrap.sh installs it)")
        });
        assert!(output.status.success(), "certutil {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    certutil(&["-N", "-d", &database, "--empty-password"]);
    let ca = ca.to_str().expect("a UTF-8 path to the CA");
    certutil(&["-A", "-d", &database, "-n", "Framephone lab test CA", "-t", "C,,", "-i", ca]);
    home
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
