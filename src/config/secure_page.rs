//! What a page served over https may connect to: only `wss://` SIP servers. `Config::parse`
//! accepts `ws://` on loopback for local testing over http; on an https page the same entry
//! would send the agent's credentials and calls unencrypted, and browsers refuse `ws://` from
//! https pages (mixed content) for every host but this machine, so it works nowhere but on a
//! developer's computer. The widget says so before it signs anyone in.

use super::{Config, ConfigProblem};
use crate::i18n::t_args;

/// The problems of `config` on a page whose `location.protocol` is `page_protocol`
/// (`"https:"`, `"http:"`): every `ws://` SIP server when the page is https, none otherwise.
pub fn problems_on_page(config: &Config, page_protocol: &str) -> Vec<ConfigProblem> {
    if !page_protocol.eq_ignore_ascii_case("https:") {
        return Vec::new();
    }
    config
        .sip
        .servers
        .iter()
        .enumerate()
        .filter(|(_, url)| url.get(..5).is_some_and(|scheme| scheme.eq_ignore_ascii_case("ws://")))
        .map(|(i, url)| ConfigProblem {
            path: format!("sip.servers[{i}]"),
            message: t_args("config.sip.server-unencrypted", &[("value", url)]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(servers: &str) -> Config {
        let text = format!(
            r#"{{"sip":{{"domain":"d.test","servers":{servers}}},"hosts":{{"allowedOrigins":["https://a.test"]}}}}"#
        );
        Config::parse(&text).expect("a valid configuration")
    }

    #[test]
    fn an_https_page_refuses_every_ws_server_naming_each_entry() {
        let problems =
            problems_on_page(&config(r#"["wss://s.test","WS://127.0.0.1:8088","ws://localhost"]"#), "https:");
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "sip.servers[1]: \"WS://127.0.0.1:8088\" is not encrypted and this page is served over https: use \
                 wss:// (browsers refuse ws:// from https pages, and the agent's password would cross the network in \
                 the clear)",
                "sip.servers[2]: \"ws://localhost\" is not encrypted and this page is served over https: use wss:// \
                 (browsers refuse ws:// from https pages, and the agent's password would cross the network in the \
                 clear)",
            ]
        );
    }

    #[test]
    fn wss_servers_pass_on_https_pages_and_loopback_ws_passes_on_http_pages() {
        assert_eq!(problems_on_page(&config(r#"["wss://s.test","wss://127.0.0.1:8089"]"#), "https:"), vec![]);
        assert_eq!(problems_on_page(&config(r#"["ws://127.0.0.1:8088"]"#), "http:"), vec![]);
        assert_eq!(problems_on_page(&config(r#"["ws://127.0.0.1:8088"]"#), "HTTPS:").len(), 1);
    }
}
