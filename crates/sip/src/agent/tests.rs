//! Agents against each other behind a small in-memory registrar and forwarding proxy, on a
//! virtual clock.

mod calls;
mod flows;
mod hostile_peer;
mod hostile_server;
mod net;
mod presence;
mod robustness;
