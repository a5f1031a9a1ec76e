//! Who owns the phone among one agent's instances (CRM tabs, the frame, the pop-out), as a pure
//! machine: messages and time in, messages and "own it" / "mirror that one" out.
//!
//! Only the owner registers and holds calls; the others mirror it. A new instance asks first and
//! owns only if nobody answers. The pop-out outranks a framed instance (it outlives the CRM's
//! reloads and navigations), so it claims the phone from a framed owner, which hands it over at
//! once, or, with a call in progress that cannot move without dropping it, when that call ends.
//! An owner heard from no more for [`OWNER_LOST_MS`] is replaced; an owner that leaves says so
//! and is replaced at once. Competing claims resolve by rank (the pop-out, then the lower peer
//! id), and two owners (after a frozen tab wakes up) by the newer ownership.

use super::message::{Message, PeerId, Place, Refusal};

/// How long a new instance waits for an owner to answer before it claims the phone.
pub const DISCOVERY_MS: u64 = 500;
/// How long a claim waits for a better one before it takes the phone.
pub const CLAIM_WAIT_MS: u64 = 250;
/// How often the owner says it is there.
pub const HEARTBEAT_MS: u64 = 1_000;
/// Silence after which an owner counts as gone (three heartbeats missed).
pub const OWNER_LOST_MS: u64 = 3_000;

/// What this instance is to the phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Finding out who owns it, or claiming it.
    Finding,
    /// It runs the phone.
    Owner,
    /// It shows the owner's phone and sends it commands.
    Mirror {
        /// The owner.
        owner: PeerId,
        /// Where the owner runs.
        place: Place,
    },
    /// It asked for the phone and waits for the owner to let it go.
    Waiting {
        /// The owner.
        owner: PeerId,
        /// Why the owner keeps it for now.
        reason: Refusal,
    },
    /// The phone is in a pop-out this instance no longer hears from and cannot reach (the
    /// CRM tab that linked them closed): it may still run there, so nothing is claimed until
    /// the agent asks.
    OutOfReach,
}

/// What the shell does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this to the other instances.
    Send(Message),
    /// Start the phone here (register, take calls).
    Own,
    /// Stop the phone here if it runs, and mirror this owner.
    Mirror(PeerId),
    /// Stop the phone here: this instance has let it go and leaves.
    Stop,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Discovering {
        until: u64,
    },
    /// `over`: the live owner this claim asks to take over from (the pop-out's claim).
    Claiming {
        epoch: u64,
        until: u64,
        over: Option<PeerId>,
    },
    /// `handing_to`: the better claim refused while calls were in progress.
    Owner {
        next_heartbeat: u64,
        handing_to: Option<(PeerId, Place)>,
    },
    Mirror {
        owner: PeerId,
        place: Place,
        last_seen: u64,
    },
    Waiting {
        owner: PeerId,
        reason: Refusal,
        last_seen: u64,
    },
    /// The pop-out owner went silent and no window of it is within reach.
    OutOfReach {
        owner: PeerId,
    },
    /// It let the phone go and leaves: it claims nothing any more.
    Left,
}

/// One instance's view of the phone's ownership.
#[derive(Clone, Debug)]
pub struct Ownership {
    me: PeerId,
    place: Place,
    /// The newest ownership heard of (or held).
    epoch: u64,
    /// Calls in progress here that cannot move without dropping them.
    busy: bool,
    /// A window of the pop-out is within reach here (this frame opened it or found it): when
    /// that pop-out goes silent, it is gone, not just out of earshot.
    reaches_pop_out: bool,
    state: State,
}

/// Whether `a` should own the phone rather than `b`: the pop-out first, then the lower id.
fn outranks(a: (Place, &PeerId), b: (Place, &PeerId)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 < b.1)
}

impl Ownership {
    /// A new instance: it asks who owns the phone.
    pub fn new(me: PeerId, place: Place, now: u64) -> (Ownership, Vec<Action>) {
        let hello = Message::Hello { peer: me.clone(), place };
        let state = State::Discovering { until: now + DISCOVERY_MS };
        (Ownership { me, place, epoch: 0, busy: false, reaches_pop_out: false, state }, vec![Action::Send(hello)])
    }

    /// Waits `ms` from `now` for an owner to answer, if still asking: little when only sibling
    /// tabs could answer (a `BroadcastChannel` answers within milliseconds), long when a
    /// pop-out this page opened may still hold the phone. Too short a wait starts a second
    /// phone; too long delays the phone after every reload.
    pub fn wait_for_owner(&mut self, now: u64, ms: u64) {
        if let State::Discovering { until } = &mut self.state {
            *until = now + ms;
        }
    }

    /// Nobody owns the phone within this instance's reach (the lock every owner holds was free,
    /// and no window of another instance is held): a new instance owns it at once instead of
    /// waiting for answers.
    pub fn nobody_owns(&mut self, now: u64) -> Vec<Action> {
        match self.state {
            State::Discovering { .. } => self.own(now, self.epoch + 1),
            _ => Vec::new(),
        }
    }

    /// Whether a window of the pop-out is within reach here (the shell holds one).
    pub fn set_reaches_pop_out(&mut self, reaches: bool) {
        self.reaches_pop_out = reaches;
    }

    /// The agent takes the phone into this window, whose pop-out owner is out of reach.
    pub fn take_here(&mut self, now: u64) -> Vec<Action> {
        match self.state {
            State::OutOfReach { .. } => self.claim(now, None),
            _ => Vec::new(),
        }
    }

    /// Whether this owner keeps the phone only until its calls end, for a claim it refused.
    pub fn hands_over_after_calls(&self) -> bool {
        matches!(self.state, State::Owner { handing_to: Some(_), .. })
    }

    /// This instance's id.
    pub fn me(&self) -> &PeerId {
        &self.me
    }

    /// The instance this one takes for the owner: the one it mirrors or waits for, or the one
    /// its claim asks the phone from (the pop-out hears the frame's kept sign-in while asking).
    pub fn owner(&self) -> Option<&PeerId> {
        match &self.state {
            State::Mirror { owner, .. } | State::Waiting { owner, .. } | State::Claiming { over: Some(owner), .. } => {
                Some(owner)
            }
            _ => None,
        }
    }

    /// What this instance is now.
    pub fn role(&self) -> Role {
        match &self.state {
            State::Discovering { .. } | State::Claiming { .. } | State::Left => Role::Finding,
            State::Owner { .. } => Role::Owner,
            State::Mirror { owner, place, .. } => Role::Mirror { owner: owner.clone(), place: *place },
            State::Waiting { owner, reason, .. } => Role::Waiting { owner: owner.clone(), reason: *reason },
            State::OutOfReach { .. } => Role::OutOfReach,
        }
    }

    /// When [`Ownership::tick`] has something to do.
    pub fn next_wake(&self) -> u64 {
        match &self.state {
            State::Discovering { until } | State::Claiming { until, .. } => *until,
            State::Owner { next_heartbeat, .. } => *next_heartbeat,
            State::Mirror { last_seen, .. } | State::Waiting { last_seen, .. } => last_seen + OWNER_LOST_MS,
            State::OutOfReach { .. } | State::Left => u64::MAX,
        }
    }

    /// Time passed: claims become ownership, heartbeats go out, silent owners are replaced.
    pub fn tick(&mut self, now: u64) -> Vec<Action> {
        if now < self.next_wake() {
            return Vec::new();
        }
        match &mut self.state {
            // A framed instance that cannot reach the pop-out cannot tell it gone from out of
            // earshot: claiming would start a second phone that rings beside it.
            State::Mirror { owner, place: Place::PopOut, .. }
                if self.place == Place::Embedded && !self.reaches_pop_out =>
            {
                self.state = State::OutOfReach { owner: owner.clone() };
                Vec::new()
            }
            State::Discovering { .. } | State::Mirror { .. } | State::Waiting { .. } => self.claim(now, None),
            State::Claiming { epoch, .. } => {
                let epoch = *epoch;
                self.own(now, epoch)
            }
            State::Owner { next_heartbeat, .. } => {
                *next_heartbeat = now + HEARTBEAT_MS;
                vec![Action::Send(self.heartbeat())]
            }
            State::OutOfReach { .. } | State::Left => Vec::new(),
        }
    }

    /// Whether calls are in progress here. When the last one ends, a claim refused for them is
    /// granted.
    pub fn set_busy(&mut self, busy: bool, now: u64) -> Vec<Action> {
        self.busy = busy;
        match &self.state {
            State::Owner { handing_to: Some(to), .. } if !busy => {
                let to = to.clone();
                self.hand_over(now, to)
            }
            _ => Vec::new(),
        }
    }

    /// This instance goes away (its page closes, or Pop in closes the pop-out): an owner lets
    /// the phone go to whoever claims it first.
    pub fn leave(&mut self) -> Vec<Action> {
        let owner = matches!(self.state, State::Owner { .. });
        self.state = State::Left;
        if !owner {
            return Vec::new();
        }
        let release = Message::Release { peer: self.me.clone(), epoch: self.epoch, to: None };
        vec![Action::Send(release), Action::Stop]
    }

    /// A message from another instance (already checked for its channel and shape).
    pub fn on_message(&mut self, now: u64, message: Message) -> Vec<Action> {
        if *message.sender() == self.me {
            return Vec::new();
        }
        match message {
            Message::Hello { .. } => match self.state {
                State::Owner { .. } => vec![Action::Send(self.heartbeat())],
                _ => Vec::new(),
            },
            Message::Owner { peer, place, epoch } => self.heard_owner(now, peer, place, epoch),
            Message::Claim { peer, place, epoch } => self.heard_claim(now, peer, place, epoch),
            Message::Refuse { peer, to, reason } => match &self.state {
                State::Claiming { over: Some(owner), .. } if to == self.me && *owner == peer => {
                    self.state = State::Waiting { owner: peer.clone(), reason, last_seen: now };
                    vec![Action::Mirror(peer)]
                }
                _ => Vec::new(),
            },
            Message::Release { peer, epoch, to } => self.heard_release(now, &peer, epoch, to),
        }
    }

    fn heard_owner(&mut self, now: u64, peer: PeerId, place: Place, epoch: u64) -> Vec<Action> {
        if epoch < self.epoch {
            return Vec::new(); // an owner that has been replaced and does not know it yet
        }
        match &mut self.state {
            State::Left => Vec::new(),
            State::Owner { .. } => {
                // Two owners: the newer ownership stays, or the better ranked at the same age.
                let other_wins =
                    epoch > self.epoch || (epoch == self.epoch && outranks((place, &peer), (self.place, &self.me)));
                if other_wins {
                    self.epoch = epoch;
                    self.mirror(now, peer, place)
                } else {
                    vec![Action::Send(self.heartbeat())]
                }
            }
            State::Mirror { owner, last_seen, .. } | State::Waiting { owner, last_seen, .. } if *owner == peer => {
                self.epoch = epoch;
                *last_seen = now;
                Vec::new()
            }
            State::Claiming { over: Some(owner), .. } if *owner == peer => {
                Vec::new() // it has yet to answer the claim
            }
            _ => {
                self.epoch = epoch;
                // Among equals the owner keeps the phone; only the pop-out takes it from a frame.
                if self.place > place {
                    // The pop-out finds a framed owner: it asks for the phone.
                    self.claim(now, Some(peer))
                } else {
                    self.mirror(now, peer, place)
                }
            }
        }
    }

    fn heard_claim(&mut self, now: u64, peer: PeerId, place: Place, epoch: u64) -> Vec<Action> {
        let better = outranks((place, &peer), (self.place, &self.me));
        match &mut self.state {
            State::Owner { handing_to, .. } => {
                // Only a better place takes the phone from a live owner, never a better id.
                if place <= self.place {
                    return vec![Action::Send(self.heartbeat())];
                }
                if self.busy {
                    *handing_to = Some((peer.clone(), place));
                    let refuse = Message::Refuse { peer: self.me.clone(), to: peer, reason: Refusal::CallsInProgress };
                    return vec![Action::Send(refuse)];
                }
                self.hand_over(now, (peer, place))
            }
            State::Claiming { epoch: mine, .. } if epoch >= *mine => {
                if better {
                    self.mirror(now, peer, place)
                } else {
                    // Ours wins: say it again for the one that has not heard it yet.
                    let again = Message::Claim { peer: self.me.clone(), place: self.place, epoch: *mine };
                    vec![Action::Send(again)]
                }
            }
            _ => Vec::new(),
        }
    }

    fn heard_release(&mut self, now: u64, peer: &PeerId, epoch: u64, to: Option<PeerId>) -> Vec<Action> {
        let from_owner = match &self.state {
            State::Mirror { owner, .. } | State::Waiting { owner, .. } | State::OutOfReach { owner } => owner == peer,
            State::Claiming { over, .. } => over.as_ref() == Some(peer),
            State::Discovering { .. } => true,
            State::Owner { .. } | State::Left => false,
        };
        if !from_owner || epoch < self.epoch {
            return Vec::new();
        }
        self.epoch = epoch;
        match to {
            Some(to) if to == self.me => self.own(now, epoch + 1),
            // The chosen one will say it owns the phone; until then nothing changes here.
            Some(_) => Vec::new(),
            None => self.claim(now, None),
        }
    }

    fn claim(&mut self, now: u64, over: Option<PeerId>) -> Vec<Action> {
        let epoch = self.epoch + 1;
        // A claim over a live owner waits for its answer as long as for a lost owner.
        let wait = if over.is_some() { OWNER_LOST_MS } else { CLAIM_WAIT_MS };
        self.state = State::Claiming { epoch, until: now + wait, over };
        vec![Action::Send(Message::Claim { peer: self.me.clone(), place: self.place, epoch })]
    }

    fn own(&mut self, now: u64, epoch: u64) -> Vec<Action> {
        self.epoch = epoch;
        self.state = State::Owner { next_heartbeat: now + HEARTBEAT_MS, handing_to: None };
        vec![Action::Own, Action::Send(self.heartbeat())]
    }

    fn mirror(&mut self, now: u64, owner: PeerId, place: Place) -> Vec<Action> {
        self.state = State::Mirror { owner: owner.clone(), place, last_seen: now };
        vec![Action::Mirror(owner)]
    }

    /// Lets the phone go to `to`, and mirrors it from now on.
    fn hand_over(&mut self, now: u64, (to, place): (PeerId, Place)) -> Vec<Action> {
        let release = Message::Release { peer: self.me.clone(), epoch: self.epoch, to: Some(to.clone()) };
        self.state = State::Mirror { owner: to.clone(), place, last_seen: now };
        vec![Action::Send(release), Action::Mirror(to)]
    }

    fn heartbeat(&self) -> Message {
        Message::Owner { peer: self.me.clone(), place: self.place, epoch: self.epoch }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    /// Instances that hear each other at once, unless cut apart.
    struct Net {
        now: u64,
        nodes: Vec<Ownership>,
        alive: Vec<bool>,
        /// Whether each runs the phone (Own seen last, not Mirror or Stop).
        running: Vec<bool>,
        cut: Vec<(usize, usize)>,
        queue: VecDeque<(usize, Message)>,
    }

    impl Net {
        fn new() -> Net {
            Net {
                now: 1_000,
                nodes: Vec::new(),
                alive: Vec::new(),
                running: Vec::new(),
                cut: Vec::new(),
                queue: VecDeque::new(),
            }
        }

        fn start(&mut self, id: &str, place: Place) -> usize {
            let (node, actions) = Ownership::new(PeerId::parse(id).unwrap(), place, self.now);
            self.nodes.push(node);
            self.alive.push(true);
            self.running.push(false);
            let index = self.nodes.len() - 1;
            self.apply(index, actions);
            self.deliver();
            index
        }

        fn apply(&mut self, from: usize, actions: Vec<Action>) {
            for action in actions {
                match action {
                    Action::Send(message) => self.queue.push_back((from, message)),
                    Action::Own => self.running[from] = true,
                    Action::Mirror(_) | Action::Stop => self.running[from] = false,
                }
            }
        }

        fn deliver(&mut self) {
            while let Some((from, message)) = self.queue.pop_front() {
                for to in 0..self.nodes.len() {
                    let cut = self.cut.contains(&(from, to)) || self.cut.contains(&(to, from));
                    if to != from && self.alive[to] && !cut {
                        let actions = self.nodes[to].on_message(self.now, message.clone());
                        self.apply(to, actions);
                    }
                }
            }
        }

        fn run_for(&mut self, ms: u64) {
            let end = self.now + ms;
            while self.now < end {
                self.now += 50;
                for index in 0..self.nodes.len() {
                    if self.alive[index] {
                        let actions = self.nodes[index].tick(self.now);
                        self.apply(index, actions);
                    }
                }
                self.deliver();
            }
        }

        /// Runs until `index` owns the phone; how long that took.
        fn time_until_owner(&mut self, index: usize, limit: u64) -> u64 {
            let start = self.now;
            while self.nodes[index].role() != Role::Owner {
                assert!(self.now - start <= limit, "no owner within {limit} ms: {:?}", self.roles());
                self.run_for(50);
            }
            self.now - start
        }

        fn owners(&self) -> Vec<usize> {
            (0..self.nodes.len()).filter(|&i| self.alive[i] && self.nodes[i].role() == Role::Owner).collect()
        }

        fn phones_running(&self) -> Vec<usize> {
            (0..self.nodes.len()).filter(|&i| self.alive[i] && self.running[i]).collect()
        }

        fn roles(&self) -> Vec<Role> {
            self.nodes.iter().map(Ownership::role).collect()
        }

        fn act(&mut self, index: usize, actions: Vec<Action>) {
            self.apply(index, actions);
            self.deliver();
        }
    }

    fn mirror_of(id: &str, place: Place) -> Role {
        Role::Mirror { owner: PeerId::parse(id).unwrap(), place }
    }

    #[test]
    fn a_lone_instance_owns_the_phone_once_nobody_answers() {
        let mut net = Net::new();
        let frame = net.start("frame", Place::Embedded);
        assert_eq!(net.nodes[frame].role(), Role::Finding);
        assert!(net.phones_running().is_empty(), "not before the others had their say");
        let waited = net.time_until_owner(frame, DISCOVERY_MS + CLAIM_WAIT_MS + 100);
        assert!(waited >= DISCOVERY_MS + CLAIM_WAIT_MS, "{waited}");
        assert_eq!(net.phones_running(), [frame]);
    }

    #[test]
    fn an_instance_that_finds_nobody_owning_owns_at_once_and_a_later_one_mirrors_it() {
        let mut net = Net::new();
        let reloaded = net.start("tab-b", Place::Embedded);
        let actions = net.nodes[reloaded].nobody_owns(net.now);
        net.act(reloaded, actions);
        assert_eq!((net.owners(), net.phones_running()), (vec![reloaded], vec![reloaded]), "without waiting");
        // A second tab finds the lock held: it asks as usual and mirrors the owner.
        let second = net.start("tab-a", Place::Embedded);
        assert_eq!(net.nodes[second].role(), mirror_of("tab-b", Place::Embedded));
        // Too late for an instance that already heard an owner.
        assert_eq!(net.nodes[second].nobody_owns(net.now), Vec::new());
        net.run_for(10_000);
        assert_eq!((net.owners(), net.phones_running()), (vec![reloaded], vec![reloaded]));
    }

    #[test]
    fn a_second_tab_mirrors_the_owner_and_only_one_phone_runs() {
        let mut net = Net::new();
        // The newcomer's id ranks better: the owner still keeps the phone.
        let first = net.start("tab-b", Place::Embedded);
        net.run_for(1_000);
        let second = net.start("tab-a", Place::Embedded);
        assert_eq!(net.nodes[second].role(), mirror_of("tab-b", Place::Embedded), "the owner answers at once");
        net.run_for(10_000);
        assert_eq!((net.owners(), net.phones_running()), (vec![first], vec![first]));
    }

    #[test]
    fn the_pop_out_takes_the_phone_from_an_idle_frame_and_the_frame_mirrors_it() {
        let mut net = Net::new();
        let frame = net.start("frame", Place::Embedded);
        net.run_for(1_000);
        let pop_out = net.start("zz-pop-out", Place::PopOut);
        let took = net.time_until_owner(pop_out, 100);
        assert!(took <= 50, "the frame let go at once: {took} ms");
        assert_eq!(net.nodes[frame].role(), mirror_of("zz-pop-out", Place::PopOut));
        net.run_for(5_000);
        assert_eq!((net.owners(), net.phones_running()), (vec![pop_out], vec![pop_out]));
    }

    #[test]
    fn a_reloaded_frame_that_expects_its_pop_out_waits_for_it_instead_of_starting_a_phone() {
        let mut net = Net::new();
        let pop_out = net.start("pop-out", Place::PopOut);
        net.run_for(1_000);
        // The pop-out's first heartbeat reaches the new frame only after its short wait would
        // have ended.
        net.cut.push((pop_out, 1));
        let (mut frame, actions) = Ownership::new(PeerId::parse("frame").unwrap(), Place::Embedded, net.now);
        frame.wait_for_owner(net.now, OWNER_LOST_MS);
        net.nodes.push(frame);
        net.alive.push(true);
        net.running.push(false);
        net.act(1, actions);
        net.run_for(DISCOVERY_MS + CLAIM_WAIT_MS + 200);
        assert_eq!(net.nodes[1].role(), Role::Finding, "still waiting for the pop-out");
        net.cut.clear();
        net.run_for(HEARTBEAT_MS + 100);
        assert_eq!(net.nodes[1].role(), mirror_of("pop-out", Place::PopOut));
        assert_eq!(net.phones_running(), [pop_out]);
    }

    #[test]
    fn a_frame_with_a_call_keeps_the_phone_until_the_call_ends() {
        let mut net = Net::new();
        let frame = net.start("frame", Place::Embedded);
        net.run_for(1_000);
        let busy = net.nodes[frame].set_busy(true, net.now);
        net.act(frame, busy);
        let pop_out = net.start("pop-out", Place::PopOut);
        net.run_for(10_000);
        let waiting = Role::Waiting { owner: PeerId::parse("frame").unwrap(), reason: Refusal::CallsInProgress };
        assert_eq!(net.nodes[pop_out].role(), waiting, "the pop-out says why it waits");
        assert_eq!(net.phones_running(), [frame], "the call is not dropped");
        assert!(net.nodes[frame].hands_over_after_calls(), "the frame can say who waits");
        let ended = net.nodes[frame].set_busy(false, net.now);
        net.act(frame, ended);
        assert_eq!((net.owners(), net.phones_running()), (vec![pop_out], vec![pop_out]));
        assert_eq!(net.nodes[frame].role(), mirror_of("pop-out", Place::PopOut));
    }

    #[test]
    fn a_closed_pop_out_gives_the_phone_back_within_the_claim_wait() {
        let mut net = Net::new();
        let frame = net.start("frame", Place::Embedded);
        let other_tab = net.start("tab-b", Place::Embedded);
        net.run_for(1_000);
        let pop_out = net.start("pop-out", Place::PopOut);
        net.run_for(1_000);
        assert_eq!(net.owners(), [pop_out]);
        let left = net.nodes[pop_out].leave();
        assert!(left.contains(&Action::Stop));
        net.act(pop_out, left);
        net.alive[pop_out] = false;
        let took = net.time_until_owner(frame, 2_000);
        assert!(took <= CLAIM_WAIT_MS + 50, "{took} ms");
        net.run_for(5_000);
        assert_eq!(net.owners(), [frame], "one of the two frames, the better ranked");
        assert_eq!(net.nodes[other_tab].role(), mirror_of("frame", Place::Embedded));
    }

    #[test]
    fn an_owner_that_vanishes_is_replaced_after_three_silent_seconds() {
        let mut net = Net::new();
        let owner = net.start("a", Place::Embedded);
        net.run_for(1_000);
        let mirror = net.start("b", Place::Embedded);
        net.run_for(2_000);
        net.alive[owner] = false; // the tab crashed: it says nothing
        let took = net.time_until_owner(mirror, OWNER_LOST_MS + CLAIM_WAIT_MS + 1_000);
        assert!(took >= OWNER_LOST_MS - HEARTBEAT_MS, "not while a heartbeat may still come: {took} ms");
        assert_eq!(net.phones_running(), [mirror]);
    }

    #[test]
    fn instances_starting_together_end_with_one_owner() {
        let mut net = Net::new();
        let ids = ["c", "a", "d", "b"];
        for id in ids {
            let (node, actions) = Ownership::new(PeerId::parse(id).unwrap(), Place::Embedded, net.now);
            net.nodes.push(node);
            net.alive.push(true);
            net.running.push(false);
            let index = net.nodes.len() - 1;
            net.apply(index, actions);
        }
        net.deliver();
        net.run_for(5_000);
        assert_eq!(net.owners(), [1], "the lowest id: {:?}", net.roles());
        assert_eq!(net.phones_running(), [1]);
    }

    #[test]
    fn two_owners_after_a_partition_heals_leave_the_newer_ownership() {
        let mut net = Net::new();
        let a = net.start("a", Place::Embedded);
        let b = net.start("b", Place::Embedded);
        net.run_for(1_000);
        assert_eq!(net.owners(), [a]);
        net.cut.push((a, b)); // a frozen tab, or a channel down
        net.run_for(5_000);
        assert_eq!(net.owners(), [a, b], "each thinks the other gone");
        net.cut.clear();
        net.run_for(2_000);
        assert_eq!(net.owners(), [b], "b's ownership is the newer: {:?}", net.roles());
        assert_eq!(net.phones_running(), [b]);
    }

    #[test]
    fn messages_from_others_than_the_owner_or_from_the_past_change_nothing() {
        let mut net = Net::new();
        let owner = net.start("a", Place::Embedded);
        net.run_for(1_000);
        let mirror = net.start("b", Place::Embedded);
        net.run_for(1_000);
        let epoch = net.nodes[mirror].epoch;
        let before = net.nodes[mirror].role();
        let peer = |id: &str| PeerId::parse(id).unwrap();
        for forged in [
            Message::Release { peer: peer("x"), epoch, to: Some(peer("b")) },
            Message::Release { peer: peer("a"), epoch: epoch - 1, to: Some(peer("b")) },
            Message::Owner { peer: peer("x"), place: Place::Embedded, epoch: epoch - 1 },
            Message::Refuse { peer: peer("a"), to: peer("b"), reason: Refusal::CallsInProgress },
            Message::Hello { peer: peer("b"), place: Place::PopOut },
        ] {
            let actions = net.nodes[mirror].on_message(net.now, forged.clone());
            assert!(!actions.contains(&Action::Own), "{forged:?}");
            assert_eq!(net.nodes[mirror].role(), before, "{forged:?}");
        }
        assert_eq!(net.owners(), [owner]);
    }

    #[test]
    fn a_tab_that_cannot_reach_a_silent_pop_out_claims_nothing_until_the_agent_asks() {
        let mut net = Net::new();
        let (opener, other) = (net.start("a", Place::Embedded), net.start("b", Place::Embedded));
        let pop_out = net.start("p", Place::PopOut);
        net.time_until_owner(pop_out, 5_000);
        net.nodes[opener].set_reaches_pop_out(true);
        // The tab that linked them closes: the other tab hears the pop-out no more.
        net.alive[opener] = false;
        net.cut.push((other, pop_out));
        net.run_for(OWNER_LOST_MS + 500);
        assert_eq!(net.nodes[other].role(), Role::OutOfReach);
        assert_eq!(net.phones_running(), [pop_out], "one phone rings, not two");
        assert_eq!(net.nodes[other].next_wake(), u64::MAX);
        // The pop-out is heard again (a tab linking them): the tab mirrors it again.
        net.cut.clear();
        net.run_for(HEARTBEAT_MS + 100);
        assert!(matches!(net.nodes[other].role(), Role::Mirror { place: Place::PopOut, .. }), "{:?}", net.roles());
        // Out of reach again, the agent closes the pop-out and uses the phone here.
        net.cut.push((other, pop_out));
        net.run_for(OWNER_LOST_MS + 500);
        net.alive[pop_out] = false;
        let actions = net.nodes[other].take_here(net.now);
        net.act(other, actions);
        net.time_until_owner(other, 1_000);
        assert_eq!(net.phones_running(), [other]);
    }

    #[test]
    fn a_frame_that_holds_the_pop_outs_window_takes_the_phone_when_it_falls_silent() {
        let mut net = Net::new();
        let frame = net.start("a", Place::Embedded);
        let pop_out = net.start("p", Place::PopOut);
        net.time_until_owner(pop_out, 5_000);
        net.nodes[frame].set_reaches_pop_out(true);
        net.alive[pop_out] = false;
        let took = net.time_until_owner(frame, 5_000);
        assert!(took <= OWNER_LOST_MS + CLAIM_WAIT_MS + 100, "{took} ms");
        assert_eq!(net.nodes[frame].take_here(net.now), [], "nothing to take: it owns the phone");
    }
}
