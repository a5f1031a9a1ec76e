//! The HTTP response headers a deployment of the widget must serve, made from the configuration
//! being deployed and the built page: `scripts/build.sh` writes them into `dist/headers.json`
//! (and an nginx snippet), and the dev server serves exactly them, so that the end-to-end tests
//! run under the real policy.
//!
//! The Content-Security-Policy allows what the widget really loads and nothing else:
//! - `frame-ancestors`: the entries of `hosts.allowedOrigins`, so that no other page can frame
//!   the widget (and use a remembered sign-in);
//! - `script-src`: the widget's own files, its wasm (`'wasm-unsafe-eval'`), the page's inline
//!   scripts (by hash: Trunk's loader and the early request for the configuration) and the
//!   host API scripts, which the widget loads from the host's own origin
//!   (`/scripts/openframe/…`, `/support/api/…`);
//! - `style-src`: the style sheets inlined into the page, by hash (no `'unsafe-inline'`; the
//!   widget sets styles only through the CSSOM, which the policy does not restrict);
//! - `connect-src`: the widget's origin (`framephone.json`), the SIP WebSocket servers, the
//!   integration service (`service.url`: CRM tokens and call logs) and, when ServiceNow's REST
//!   API is used (`crm.servicenow.oauthClientId` or `service`), the host origins: the screen
//!   pop's searches, the call logs and the OAuth token go to the instance;
//! - `media-src`: the ringtones, made in the page as `blob:` WAV files.
//!
//! WebRTC's ICE traffic (STUN, TURN) is not governed by any CSP directive that browsers
//! enforce, and `stun:`/`turn:` URLs are not valid CSP sources: they are not listed.

use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::Config;
use crate::origin::OriginPattern;

/// The `sha256-…` sources of the inline `<script>` and `<style>` elements of a built page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InlineHashes {
    /// One per inline script (without `src`), in page order.
    pub scripts: Vec<String>,
    /// One per `<style>` element, in page order.
    pub styles: Vec<String>,
}

impl InlineHashes {
    /// Hashes the content of every inline `<script>` and `<style>` of `html` exactly as the
    /// browser will see it (Trunk's minified `index.html`).
    pub fn of_page(html: &str) -> Self {
        let mut hashes = InlineHashes::default();
        for (tag, attributes, content) in elements(html, &["script", "style"]) {
            let source = csp_hash(content);
            if tag == "style" {
                hashes.styles.push(source);
            } else if !has_attribute(attributes, "src") {
                hashes.scripts.push(source);
            }
        }
        hashes
    }
}

/// `'sha256-BASE64'` of `content`.
fn csp_hash(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// Every `<tag …>content</tag>` of the given names: the tag, its attribute text, its content.
/// Enough for the page Trunk writes (no comments around scripts, no `</script` inside them).
fn elements<'a>(html: &'a str, names: &[&'static str]) -> Vec<(&'static str, &'a str, &'a str)> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = lower[at..].find('<') {
        let start = at + offset + 1;
        at = start;
        let Some(&name) = names.iter().find(|name| {
            lower[start..].starts_with(**name)
                && lower[start + name.len()..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace())
        }) else {
            continue;
        };
        let Some(open_end) = lower[start..].find('>').map(|i| start + i) else { break };
        let attributes = &html[start + name.len()..open_end];
        let close = format!("</{name}");
        let Some(content_end) = lower[open_end + 1..].find(&close).map(|i| open_end + 1 + i) else { break };
        found.push((name, attributes, &html[open_end + 1..content_end]));
        at = content_end;
    }
    found
}

fn has_attribute(attributes: &str, name: &str) -> bool {
    attributes
        .to_ascii_lowercase()
        .split(|c: char| c.is_ascii_whitespace())
        .any(|part| part == name || part.starts_with(&format!("{name}=")))
}

/// The CSP source for an allow-list entry: the exact origin, or `https://*.example.com` (a CSP
/// wildcard also admits deeper names; the widget itself admits exactly one label).
fn pattern_source(pattern: &OriginPattern) -> String {
    pattern.to_string()
}

/// `scheme://host[:port]` of a SIP WebSocket URL (its path does not matter to the policy).
fn server_source(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("wss", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase())
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The Permissions-Policy: the microphone, the choice of speaker and ringer (`setSinkId`) and
/// the ringtone's autoplay for the widget itself; nothing else it does not use.
pub const PERMISSIONS_POLICY: &str = "microphone=(self), speaker-selection=(self), autoplay=(self), camera=(), geolocation=(), display-capture=(), payment=(), usb=()";

/// No page the widget loads from or links to learns its address (the host scripts included).
pub const REFERRER_POLICY: &str = "no-referrer";

/// The Content-Security-Policy for `config`, with the inline elements of the built page.
pub fn content_security_policy(config: &Config, page: &InlineHashes) -> String {
    let hosts: Vec<String> = config.allowed_origins.patterns().iter().map(pattern_source).collect();
    let mut script = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
    for source in page.scripts.iter().chain(&hosts) {
        push_unique(&mut script, source.clone());
    }
    let mut style = vec!["'self'".to_owned()];
    for source in &page.styles {
        push_unique(&mut style, source.clone());
    }
    let mut connect = vec!["'self'".to_owned()];
    for server in &config.sip.servers {
        push_unique(&mut connect, server_source(server));
    }
    if let Some(service) = &config.service {
        push_unique(&mut connect, service.url.to_string());
    }
    if config.crm.servicenow.oauth_client_id.is_some() || config.service.is_some() {
        for host in &hosts {
            push_unique(&mut connect, host.clone());
        }
    }
    let directives: [(&str, Vec<String>); 10] = [
        ("default-src", vec!["'self'".into()]),
        ("script-src", script),
        ("style-src", style),
        ("connect-src", connect),
        ("media-src", vec!["'self'".into(), "blob:".into()]),
        ("img-src", vec!["'self'".into()]),
        ("object-src", vec!["'none'".into()]),
        ("base-uri", vec!["'none'".into()]),
        ("form-action", vec!["'none'".into()]),
        ("frame-ancestors", hosts),
    ];
    let mut policy = String::new();
    for (name, sources) in directives {
        if !policy.is_empty() {
            policy.push_str("; ");
        }
        let _ = write!(policy, "{name} {}", sources.join(" "));
    }
    policy
}

/// Every header a deployment serves with the widget's files, name and value.
pub fn deployment_headers(config: &Config, page: &InlineHashes) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Security-Policy", content_security_policy(config, page)),
        ("Referrer-Policy", REFERRER_POLICY.to_owned()),
        ("Permissions-Policy", PERMISSIONS_POLICY.to_owned()),
        ("X-Content-Type-Options", "nosniff".to_owned()),
    ]
}

/// `Cache-Control` for the build's files whose names carry their content's hash (Trunk's
/// `framephone-<16 hex>.js` and `framephone-<16 hex>_bg.wasm`, the catalog
/// `locales/ja-<16 hex>.txt`): a new build has new names, so the browser keeps them for a year
/// without asking, and with them the wasm it compiled.
pub const CACHE_HASHED: &str = "public, max-age=31536000, immutable";

/// `Cache-Control` for every other file (the page, the OAuth redirect page): asked again at
/// each load (a 304 when unchanged), so that a new build's page, naming new files, is seen.
pub const CACHE_OTHER: &str = "no-cache";

/// The `Cache-Control` for the file at URL path `path`.
pub fn cache_control(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.strip_suffix("_bg.wasm").or_else(|| name.strip_suffix(".js")).or_else(|| name.strip_suffix(".txt"));
    let hashed = stem.and_then(|stem| stem.rsplit_once('-')).is_some_and(|(_, hash)| {
        hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if hashed { CACHE_HASHED } else { CACHE_OTHER }
}

/// The headers as a JSON object (`dist/headers.json`).
pub fn to_json(headers: &[(&'static str, String)]) -> String {
    let object: serde_json::Map<String, serde_json::Value> =
        headers.iter().map(|(name, value)| ((*name).to_owned(), value.clone().into())).collect();
    serde_json::to_string_pretty(&object).unwrap_or_default() + "\n"
}

/// The headers as nginx `add_header … always;` lines (`dist/headers.nginx.conf`).
pub fn to_nginx(headers: &[(&'static str, String)]) -> String {
    let mut text =
        String::from("# Generated by scripts/build.sh from framephone.json: include it in the widget's location.\n");
    for (name, value) in headers {
        let _ = writeln!(text, "add_header {name} \"{}\" always;", value.replace('\\', "\\\\").replace('"', "\\\""));
    }
    let _ = write!(
        text,
        "# Content-hashed files are kept for a year (and the wasm the browser compiled with them); the rest is \
         asked again at each load.\n\
         set $framephone_cache \"{CACHE_OTHER}\";\n\
         if ($uri ~ \"-[0-9a-f]{{16}}(_bg\\.wasm|\\.js|\\.txt)$\") {{ set $framephone_cache \"{CACHE_HASHED}\"; }}\n\
         add_header Cache-Control $framephone_cache always;\n"
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_files_are_kept() {
        for hashed in [
            "/framephone-e629691f9f0109df.js",
            "/framephone-e629691f9f0109df_bg.wasm",
            "/a/b-0123456789abcdef.js",
            "/locales/ja-0123456789abcdef.txt",
        ] {
            assert_eq!(cache_control(hashed), CACHE_HASHED, "{hashed}");
        }
        for other in [
            "/",
            "/index.html",
            "/oauth/servicenow.html",
            "/framephone.json",
            "/framephone.js",
            "/framephone-e629691f9f0109d.js",
            "/framephone-E629691F9F0109DF.js",
            "/framephone-e629691f9f0109dg_bg.wasm",
            "/framephone-e629691f9f0109df.wasm",
            "/framephone-e629691f9f0109df.css",
            "/locales/ja.txt",
        ] {
            assert_eq!(cache_control(other), CACHE_OTHER, "{other}");
        }
    }

    fn config(origins: &str, servers: &str) -> Config {
        Config::parse(&format!(
            r#"{{"sip":{{"domain":"d.test","servers":[{servers}]}},"hosts":{{"allowedOrigins":[{origins}]}},
                "ice":{{"servers":[{{"urls":"stun:stun.example.com:3478"}}]}}}}"#
        ))
        .unwrap()
    }

    fn directive<'a>(policy: &'a str, name: &str) -> Vec<&'a str> {
        let found: Vec<&str> = policy.split("; ").filter(|d| d.split(' ').next() == Some(name)).collect();
        assert_eq!(found.len(), 1, "{name} once in {policy}");
        found[0].split(' ').skip(1).collect()
    }

    const PAGE: &str = "<!doctype html><html><head><meta charset=utf-8><title>Framephone</title>\
        <link rel=modulepreload href=/framephone-1.js integrity=sha384-x>\
        <style type=text/css>.fp{color:red}</style><STYLE>b{}</STYLE>\
        <script type=module>import init from '/framephone-1.js';await init();</script>\
        <script src=/other.js></script><script>\nwindow.x = 1;\n</script></head><body></body></html>";

    #[test]
    fn inline_scripts_and_styles_are_hashed_as_the_browser_sees_them() {
        let hashes = InlineHashes::of_page(PAGE);
        assert_eq!(
            hashes.scripts,
            [csp_hash("import init from '/framephone-1.js';await init();"), csp_hash("\nwindow.x = 1;\n")]
        );
        assert_eq!(hashes.styles, [csp_hash(".fp{color:red}"), csp_hash("b{}")]);
        // Computed apart (Python's hashlib and base64).
        assert_eq!(hashes.styles[1], "'sha256-7yqHVAesot11p6HczDsgKRipvI5UPgs97z80zNXlans='");
        // The digest of an empty string, as every CSP reference gives it.
        assert_eq!(csp_hash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
        assert_eq!(InlineHashes::of_page("<p>no scripts <scripted></scripted></p>"), InlineHashes::default());
    }

    #[test]
    fn the_policy_follows_the_configuration() {
        let config = config(
            r#""https://acme.service-now.com","https://*.crm.example.com","http://127.0.0.1:8781""#,
            r#""wss://sip1.example.com:7443/ws","WSS://SIP2.example.com","ws://127.0.0.1:8088""#,
        );
        let page = InlineHashes { scripts: vec!["'sha256-s'".into()], styles: vec!["'sha256-c'".into()] };
        let policy = content_security_policy(&config, &page);
        assert_eq!(
            directive(&policy, "frame-ancestors"),
            ["https://acme.service-now.com", "https://*.crm.example.com", "http://127.0.0.1:8781"]
        );
        assert_eq!(
            directive(&policy, "script-src"),
            [
                "'self'",
                "'wasm-unsafe-eval'",
                "'sha256-s'",
                "https://acme.service-now.com",
                "https://*.crm.example.com",
                "http://127.0.0.1:8781"
            ]
        );
        assert_eq!(directive(&policy, "style-src"), ["'self'", "'sha256-c'"]);
        assert_eq!(
            directive(&policy, "connect-src"),
            ["'self'", "wss://sip1.example.com:7443", "wss://sip2.example.com", "ws://127.0.0.1:8088"]
        );
        assert_eq!(directive(&policy, "default-src"), ["'self'"]);
        assert_eq!(directive(&policy, "media-src"), ["'self'", "blob:"]);
        for (name, value) in [("object-src", "'none'"), ("base-uri", "'none'"), ("form-action", "'none'")] {
            assert_eq!(directive(&policy, name), [value]);
        }
        assert!(!policy.contains("unsafe-inline") && !policy.contains("stun:"), "{policy}");
    }

    #[test]
    fn servicenow_rest_adds_the_host_origins_to_connect_src() {
        let mut config = config(r#""https://acme.service-now.com""#, r#""wss://s.test""#);
        config.crm.servicenow.oauth_client_id = Some("framephone-widget".into());
        let policy = content_security_policy(&config, &InlineHashes::default());
        assert_eq!(directive(&policy, "connect-src"), ["'self'", "wss://s.test", "https://acme.service-now.com"]);
        config.crm.servicenow.oauth_client_id = None;
        config.service = Some(crate::config::ServiceSettings {
            call_credentials: false,
            url: crate::origin::Origin::parse("https://fp.example.com").unwrap(),
        });
        let policy = content_security_policy(&config, &InlineHashes::default());
        assert_eq!(
            directive(&policy, "connect-src"),
            ["'self'", "wss://s.test", "https://fp.example.com", "https://acme.service-now.com"]
        );
    }

    #[test]
    fn another_allow_list_gives_another_policy() {
        let one = content_security_policy(
            &config(r#""https://a.example.com""#, r#""wss://s.test""#),
            &InlineHashes::default(),
        );
        let two = content_security_policy(
            &config(r#""https://b.example.com""#, r#""wss://s.test""#),
            &InlineHashes::default(),
        );
        assert_eq!(directive(&one, "frame-ancestors"), ["https://a.example.com"]);
        assert_eq!(directive(&two, "frame-ancestors"), ["https://b.example.com"]);
        assert!(!two.contains("a.example.com"));
    }

    #[test]
    fn every_header_is_written_for_json_and_nginx() {
        let config = config(r#""https://acme.service-now.com""#, r#""wss://s.test""#);
        let headers = deployment_headers(&config, &InlineHashes::default());
        let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["Content-Security-Policy", "Referrer-Policy", "Permissions-Policy", "X-Content-Type-Options"]
        );
        let permissions = &headers[2].1;
        assert!(permissions.contains("microphone=(self)") && permissions.contains("speaker-selection=(self)"));
        let json: serde_json::Value = serde_json::from_str(&to_json(&headers)).unwrap();
        assert_eq!(json["X-Content-Type-Options"], "nosniff");
        assert_eq!(json["Content-Security-Policy"], headers[0].1.as_str());
        let nginx = to_nginx(&headers);
        assert!(nginx.contains("add_header Referrer-Policy \"no-referrer\" always;"), "{nginx}");
        assert_eq!(nginx.lines().filter(|l| l.starts_with("add_header ")).count(), 5);
        assert!(nginx.contains("add_header Cache-Control $framephone_cache always;"), "{nginx}");
        assert!(nginx.contains(&format!("set $framephone_cache \"{CACHE_HASHED}\"; }}")), "{nginx}");
    }
}
