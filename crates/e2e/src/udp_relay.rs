//! A UDP relay in front of a STUN/TURN server that delays, drops or black-holes packets on
//! demand: a slow, lossy or dead server, or a network that loses a call's media on its way
//! through TURN. Each client address gets a socket of its own towards the server, so the server
//! sees the relay as a NAT (its server-reflexive answer names that socket, not the client's).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::dice::Dice;

/// What the relay does to packets, both ways.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairment {
    /// Every packet is held this long.
    pub delay: Duration,
    /// Plus a random extra delay of up to this much (packets then overtake each other).
    pub jitter: Duration,
    /// The share of packets dropped (0 to 1).
    pub loss: f64,
    /// Drops every packet.
    pub black_hole: bool,
}

/// A running relay; it stops when dropped.
pub struct UdpRelay {
    /// Where clients send (instead of the server).
    pub addr: SocketAddr,
    impairment: Arc<Mutex<Impairment>>,
    task: JoinHandle<()>,
}

impl Drop for UdpRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl UdpRelay {
    /// Starts a relay on a free loopback port towards `server`, passing packets untouched.
    pub async fn start(server: SocketAddr) -> UdpRelay {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind the relay"));
        let addr = front.local_addr().expect("the relay's address");
        let impairment = Arc::new(Mutex::new(Impairment::default()));
        let task = tokio::spawn(relay(front, server, impairment.clone()));
        UdpRelay { addr, impairment, task }
    }

    /// Changes what happens to the packets from now on.
    pub fn set(&self, impairment: Impairment) {
        *self.impairment.lock().expect("the impairment lock") = impairment;
    }
}

/// Forwards clients' packets to `server` from a socket per client, and the answers back.
async fn relay(front: Arc<UdpSocket>, server: SocketAddr, impairment: Arc<Mutex<Impairment>>) {
    let mut towards_server: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut answers = Vec::new();
    let mut buffer = vec![0u8; 65_536];
    let mut dice = Dice::from_clock();
    while let Ok((length, client)) = front.recv_from(&mut buffer).await {
        let socket = match towards_server.get(&client) {
            Some(socket) => socket.clone(),
            None => {
                let Ok(socket) = UdpSocket::bind("127.0.0.1:0").await else { continue };
                let socket = Arc::new(socket);
                towards_server.insert(client, socket.clone());
                answers.push(tokio::spawn(answer(socket.clone(), front.clone(), client, impairment.clone())));
                socket
            }
        };
        let packet = buffer[..length].to_vec();
        let rule = *impairment.lock().expect("the impairment lock");
        if let Some(delay) = fate(&mut dice, &rule) {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = socket.send_to(&packet, server).await;
            });
        }
    }
    for task in answers {
        task.abort();
    }
}

/// Carries the server's packets for one client back to it.
async fn answer(socket: Arc<UdpSocket>, front: Arc<UdpSocket>, client: SocketAddr, impairment: Arc<Mutex<Impairment>>) {
    let mut buffer = vec![0u8; 65_536];
    let mut dice = Dice::from_clock();
    while let Ok((length, _)) = socket.recv_from(&mut buffer).await {
        let packet = buffer[..length].to_vec();
        let rule = *impairment.lock().expect("the impairment lock");
        if let Some(delay) = fate(&mut dice, &rule) {
            let front = front.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = front.send_to(&packet, client).await;
            });
        }
    }
}

/// What happens to a packet under `rule`: how long it is held, or none when it is dropped.
fn fate(dice: &mut Dice, rule: &Impairment) -> Option<Duration> {
    if rule.black_hole || dice.roll() < rule.loss {
        return None;
    }
    Some(rule.delay + rule.jitter.mul_f64(dice.roll()))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buffer = [0u8; 1500];
            while let Ok((length, from)) = socket.recv_from(&mut buffer).await {
                // Answers with the address it saw, as a STUN server would.
                let reply = format!("{}:{}", from, String::from_utf8_lossy(&buffer[..length]));
                let _ = socket.send_to(reply.as_bytes(), from).await;
            }
        });
        addr
    }

    async fn ask(client: &UdpSocket, relay: SocketAddr, text: &str, wait: Duration) -> Option<String> {
        client.send_to(text.as_bytes(), relay).await.unwrap();
        let mut buffer = [0u8; 1500];
        let (length, _) = tokio::time::timeout(wait, client.recv_from(&mut buffer)).await.ok()?.ok()?;
        Some(String::from_utf8_lossy(&buffer[..length]).into_owned())
    }

    #[tokio::test]
    async fn passes_delays_and_black_holes() {
        let relay = UdpRelay::start(echo_server().await).await;
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let answer = ask(&client, relay.addr, "one", Duration::from_secs(2)).await.expect("an answer");
        assert!(answer.ends_with(":one"));
        assert!(!answer.starts_with(&client.local_addr().unwrap().to_string()), "the server sees the relay");

        relay.set(Impairment { delay: Duration::from_millis(150), ..Impairment::default() });
        let started = std::time::Instant::now();
        ask(&client, relay.addr, "two", Duration::from_secs(2)).await.expect("a late answer");
        assert!(started.elapsed() >= Duration::from_millis(300), "held both ways: {:?}", started.elapsed());

        relay.set(Impairment { black_hole: true, ..Impairment::default() });
        assert_eq!(ask(&client, relay.addr, "three", Duration::from_millis(300)).await, None);
        relay.set(Impairment::default());
        assert!(ask(&client, relay.addr, "four", Duration::from_secs(2)).await.is_some());
    }

    #[test]
    fn loss_drops_about_its_share() {
        let mut dice = Dice::from_clock();
        let rule = Impairment { loss: 0.1, ..Impairment::default() };
        let dropped = (0..10_000).filter(|_| fate(&mut dice, &rule).is_none()).count();
        assert!((800..1200).contains(&dropped), "{dropped} of 10000 dropped");
    }
}
