//! Calls through the TURN lab: coturn on loopback beside Kamailio (`scripts/lab.sh start`;
//! `$LAB_TURN_PORT` with the long-term credentials of `lab/turn.txt` over UDP and TCP,
//! `$LAB_TURN_TLS_PORT` the same over TLS with the lab's certificate, `$LAB_TURN_SECRET_PORT`
//! with its TURN REST API secret). With `ice.transportPolicy: "relay"` two agents talk through
//! coturn's relays: audio both ways, and `getStats` says at both ends that the call's selected
//! candidate pair is a relayed one, reached over the transport the URL asks for (`turn:` over
//! UDP, `turn:…?transport=tcp` over TCP, `turns:` over TLS; the browsers trust the lab's test
//! CA). A wrong TURN password reaches the agent as a notice that names the server and the
//! configuration entry to check.
//!
//! Agents 1017–1022 and 1037–1040 are this file's own (two tests run at once).

use devserver::{IceServer, IceTransportPolicy};
use e2e::{
    Browser, LabTls, LocalCandidate, TurnLab, all_by_role, check_page_error_recorder, devserver_with_ice,
    dial_and_answer, eventually, hang_up, hears, page_errors, record_page_errors, selected_local_candidate, sign_in,
    watch_peer_connections,
};
use fantoccini::Client;

/// One TURN server of `ice.servers` on loopback (`turn:` over UDP).
fn turn_server(port: u16, username: &str, credential: &str) -> IceServer {
    turn_url(format!("turn:127.0.0.1:{port}"), username, credential)
}

/// One TURN server of `ice.servers` with this URL.
fn turn_url(url: String, username: &str, credential: &str) -> IceServer {
    IceServer { urls: vec![url], username: Some(username.to_owned()), credential: Some(credential.to_owned()) }
}

/// A browser signed in as `user`, recording its page errors and watching its peer connections;
/// it trusts the lab's test CA, whose certificate the TLS port of the TURN lab shows.
async fn agent(widget: &str, user: &str) -> Browser {
    let browser = Browser::start_trusting(&LabTls::from_env().ca).await;
    record_page_errors(&browser.client).await;
    watch_peer_connections(&browser.client).await;
    browser.client.goto(&format!("{widget}/")).await.expect("open the pop-out view");
    check_page_error_recorder(&browser.client).await;
    sign_in(&browser.client, user).await;
    browser
}

/// Waits until the call's selected candidate pair at `client` has a local candidate of type
/// `relay`, reached over `protocol` (`udp`, `tcp`, `tls`); anything else chosen fails at once.
async fn sends_through_the_relay(client: &Client, who: &str, protocol: &str) {
    let chosen = eventually(&format!("{who}'s call to choose a candidate pair"), || async {
        selected_local_candidate(client).await
    })
    .await;
    let relayed = LocalCandidate { candidate_type: "relay".into(), relay_protocol: protocol.into() };
    assert_eq!(chosen, relayed, "{who}'s selected candidate pair is not relayed over {protocol}");
}

/// The texts of the phone's alerts now.
async fn alerts(client: &Client) -> Vec<String> {
    let mut texts = Vec::new();
    for alert in all_by_role(client, "alert").await.unwrap_or_default() {
        texts.push(alert.text().await.unwrap_or_default());
    }
    texts
}

/// A call between `caller` and `callee` whose widgets must relay through `servers`: audio both
/// ways, relay candidates reached over `protocol` at both ends, no notice and no page error.
async fn relayed_call(servers: Vec<IceServer>, protocol: &str, caller: &str, callee: &str) {
    let server = devserver_with_ice(servers, IceTransportPolicy::Relay).await;
    let a = agent(&server.widget, caller).await;
    let b = agent(&server.widget, callee).await;
    dial_and_answer(&a.client, &b.client, callee).await;
    hears(&a.client, caller).await;
    hears(&b.client, callee).await;
    sends_through_the_relay(&a.client, caller, protocol).await;
    sends_through_the_relay(&b.client, callee, protocol).await;
    for (client, who) in [(&a.client, caller), (&b.client, callee)] {
        let refused: Vec<String> = alerts(client).await.into_iter().filter(|a| a.contains("TURN")).collect();
        assert!(refused.is_empty(), "{who} was told of a TURN refusal: {refused:?}");
    }
    hang_up(&a.client, &b.client).await;
    for (client, who) in [(&a.client, caller), (&b.client, callee)] {
        assert_eq!(page_errors(client).await, Vec::<String>::new(), "{who}'s page errors");
    }
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_relay_only_call_through_coturn_with_long_term_credentials_carries_audio_both_ways() {
    let lab = TurnLab::from_env();
    relayed_call(vec![turn_server(lab.port, &lab.user, &lab.password)], "udp", "1017", "1018").await;
}

#[tokio::test]
async fn a_relay_only_call_through_coturn_over_tls_with_turns_carries_audio_both_ways() {
    let lab = TurnLab::from_env();
    let server = turn_url(format!("turns:127.0.0.1:{}?transport=tcp", lab.tls_port), &lab.user, &lab.password);
    relayed_call(vec![server], "tls", "1037", "1038").await;
}

#[tokio::test]
async fn a_relay_only_call_through_coturn_over_tcp_carries_audio_both_ways() {
    let lab = TurnLab::from_env();
    let server = turn_url(format!("turn:127.0.0.1:{}?transport=tcp", lab.port), &lab.user, &lab.password);
    relayed_call(vec![server], "tcp", "1039", "1040").await;
}

#[tokio::test]
async fn a_relay_only_call_with_rest_api_credentials_from_the_shared_secret_carries_audio_both_ways() {
    let lab = TurnLab::from_env();
    let (username, credential) = rest_api_credentials(&lab.secret, &lab.user, unix_time() + 3600);
    relayed_call(vec![turn_server(lab.secret_port, &username, &credential)], "udp", "1019", "1020").await;
}

#[tokio::test]
async fn a_wrong_turn_password_is_shown_to_the_agent_naming_the_server_and_the_entry() {
    let lab = TurnLab::from_env();
    let servers = vec![turn_server(lab.port, &lab.user, "not-the-password")];
    let server = devserver_with_ice(servers, IceTransportPolicy::Relay).await;
    let a = agent(&server.widget, "1021").await;
    let b = agent(&server.widget, "1022").await;
    let expected = format!(
        "The TURN server turn:127.0.0.1:{} refused the credentials (401 Unauthorized): check ice.servers[0].username \
         and credential.",
        lab.port
    );
    // Signalling goes on without media: the call still rings and is answered.
    dial_and_answer(&a.client, &b.client, "1022").await;
    for (client, who) in [(&a.client, "1021"), (&b.client, "1022")] {
        eventually(&format!("{who} to be told that the TURN server refused the password"), || async {
            alerts(client).await.iter().any(|text| text == &expected).then_some(())
        })
        .await;
    }
    hang_up(&a.client, &b.client).await;
    for (client, who) in [(&a.client, "1021"), (&b.client, "1022")] {
        assert_eq!(page_errors(client).await, Vec::<String>::new(), "{who}'s page errors");
    }
    a.close().await;
    b.close().await;
}

/// Seconds since 1970.
fn unix_time() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("a clock after 1970").as_secs()
}

/// The TURN REST API's credentials (draft-uberti-behave-turn-rest, coturn's `use-auth-secret`):
/// username `EXPIRY:USER`, password base64(HMAC-SHA1(secret, username)).
fn rest_api_credentials(secret: &str, user: &str, expiry: u64) -> (String, String) {
    use base64::Engine;
    let username = format!("{expiry}:{user}");
    let credential =
        base64::engine::general_purpose::STANDARD.encode(hmac_sha1(secret.as_bytes(), username.as_bytes()));
    (username, credential)
}

/// HMAC-SHA1 (RFC 2104), the hash's 64-byte block.
fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    use sha1::{Digest, Sha1};
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha1::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha1::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

#[test]
fn hmac_sha1_gives_rfc_2202s_results() {
    let hex = |bytes: [u8; 20]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(hex(hmac_sha1(b"Jefe", b"what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    // A key longer than the block is hashed first (test case 6).
    assert_eq!(
        hex(hmac_sha1(&[0xaa; 80], b"Test Using Larger Than Block-Size Key - Hash Key First")),
        "aa4ae5e15272d00e95705637ce8a3b55ed402112"
    );
}

#[test]
fn rest_api_credentials_are_the_expiry_the_user_and_the_secrets_signature() {
    let (username, credential) = rest_api_credentials("lab-turn-secret", "agent", 1_700_000_000);
    assert_eq!(username, "1700000000:agent");
    // base64 of 20 bytes, and another secret signs otherwise.
    assert_eq!(credential.len(), 28);
    assert_ne!(rest_api_credentials("another", "agent", 1_700_000_000).1, credential);
}
