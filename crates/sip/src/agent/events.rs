//! What the agent tells the application, and the handles it gives out.

use crate::registration::RegistrationFailure;

/// A call the agent manages (unique for the agent's life).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CallRef(pub u32);

/// A subscription to someone's presence or dialog state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionRef(pub u32);

/// An outgoing MESSAGE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageRef(pub u32);

/// A connection to a server, as the shell sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId(pub u64);

/// Someone at the other end: the URI and the display name, as text whatever bytes they held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// The URI, e.g. `sip:1002@framephone.test`.
    pub uri: String,
    /// The display name, when one was sent.
    pub display_name: Option<String>,
}

impl Party {
    /// The user part of the URI (the extension or number), or the whole URI.
    pub fn user(&self) -> &str {
        let rest = self.uri.split_once(':').map_or(self.uri.as_str(), |(_, rest)| rest);
        rest.split_once('@').map_or(rest, |(user, _)| user)
    }
}

/// What a failed call attempt means to the person who made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectKind {
    /// 486, 600: the other side is busy.
    Busy,
    /// 603: the other side declined.
    Declined,
    /// 404, 410, 484, 604: no such number.
    NotFound,
    /// 480, 502, 503, 504: nobody can take the call now.
    Unavailable,
    /// 408: nobody answered in time.
    NoAnswer,
    /// 401, 403, 407: the server does not allow this call.
    NotAllowed,
    /// 488, 606: the media offered was refused.
    MediaRefused,
    /// Anything else.
    Other,
}

impl RejectKind {
    /// The kind a final status code stands for.
    pub fn of(status: u16) -> RejectKind {
        match status {
            486 | 600 => RejectKind::Busy,
            603 => RejectKind::Declined,
            404 | 410 | 484 | 604 => RejectKind::NotFound,
            480 | 502 | 503 | 504 => RejectKind::Unavailable,
            408 => RejectKind::NoAnswer,
            401 | 403 | 407 => RejectKind::NotAllowed,
            488 | 606 => RejectKind::MediaRefused,
            _ => RejectKind::Other,
        }
    }
}

/// Why a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallEnd {
    /// We hung up, cancelled or declined.
    HungUpHere,
    /// The other side hung up.
    HungUpThere,
    /// The caller gave up before we answered.
    CallerCancelled,
    /// The caller's call was answered by another of the callee's devices.
    AnsweredElsewhere,
    /// The call attempt got a final failure response.
    Rejected {
        /// The status code.
        status: u16,
        /// The reason phrase as text.
        reason: String,
        /// What it means.
        kind: RejectKind,
    },
    /// No final response, or our 2xx was never acknowledged.
    Timeout,
    /// The flow failed before the call was set up.
    ConnectionLost,
    /// The session timer expired without a refresh (RFC 4028).
    SessionExpired,
    /// Another call replaced this one (attended transfer, RFC 3891).
    Replaced,
    /// We transferred the call and the transfer succeeded.
    Transferred,
}

/// Something a server asked for that the agent refused to follow, for the application to show
/// or log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServerProblem {
    /// The registrar granted a lifetime below the refresh floor
    /// ([`crate::registration::REFRESH_FLOOR_SECONDS`]); the agent refreshes after the floor.
    #[error(
        "the registrar granted a registration of only {granted} s; the phone refreshes it every {floor} s instead, so calls may not reach it in between: ask the server's administrator to allow a longer registration"
    )]
    ShortRegistration {
        /// The lifetime granted, in seconds.
        granted: u32,
        /// The floor used instead, in seconds.
        floor: u32,
    },
}

/// What the agent reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The shell was asked to connect to a server.
    Connecting {
        /// The server's address.
        address: String,
    },
    /// The flow to a server is up.
    Connected {
        /// The server's address.
        address: String,
    },
    /// The flow went down; the agent will connect again at `retry_in` milliseconds from now.
    Disconnected {
        /// How long until the next attempt.
        retry_in: u64,
    },
    /// The registrar accepted our binding.
    Registered {
        /// The lifetime granted, in seconds.
        expires: u32,
    },
    /// The registrar accepted a REGISTER that answered its challenge with this HA1
    /// (`H(username:realm:password)`, RFC 7616): what an application may keep instead of the
    /// password to sign in again. Reported once per registration and HA1, before
    /// [`Event::Registered`]; the password itself is never reported.
    SecretAccepted {
        /// The authentication user name the HA1 belongs to.
        username: String,
        /// The realm, algorithm and digest.
        ha1: crate::auth::Ha1,
    },
    /// Our binding was removed (after [`super::UserAgent::stop`]).
    Unregistered,
    /// Registration failed. Unless [`Event::RegistrationRetry`] follows, retrying cannot help
    /// without a change (wrong password, forbidden).
    RegistrationFailed(RegistrationFailure),
    /// After [`Event::RegistrationFailed`] for a reason that may pass (the server keeps
    /// challenging), the agent registers again by itself in `retry_in` milliseconds; the delays
    /// grow from one failure to the next until a registration succeeds.
    RegistrationRetry {
        /// How long until the next attempt.
        retry_in: u64,
    },
    /// A server asked for something the agent did not follow (see [`ServerProblem`]).
    ServerProblem(ServerProblem),
    /// The agent has stopped: nothing is left to send and the shell may close.
    Stopped,
    /// A call came in; answer with [`super::UserAgent::answer`] or [`super::UserAgent::reject`].
    Incoming {
        /// The new call.
        call: CallRef,
        /// Who is calling.
        from: Party,
        /// Whom they called.
        to: Party,
        /// The caller's SDP offer (none: our answer must carry an offer).
        sdp: Option<String>,
        /// The call this one replaces (RFC 3891): one of ours that is confirmed, or an early
        /// one we placed. Any other Replaces was refused with 481 before the application heard.
        replaces: Option<CallRef>,
        /// The call completes an attended transfer into a call in progress (it replaces a
        /// confirmed call of ours): answer it at once, without ringing and whatever the
        /// agent's status. False for every other call, which rings and may be turned away.
        auto_answer: bool,
        /// Who referred the caller to us, when the call comes from a transfer.
        referred_by: Option<Party>,
    },
    /// An outgoing call progressed (100–199).
    Progress {
        /// The call.
        call: CallRef,
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
        /// Early media: the answer SDP of a 18x.
        sdp: Option<String>,
    },
    /// The call is up: outgoing, the 2xx arrived (with the answer SDP); incoming, our 2xx was
    /// acknowledged (with an answer SDP when our 2xx carried the offer).
    Established {
        /// The call.
        call: CallRef,
        /// The remote SDP, if this message carried one.
        sdp: Option<String>,
    },
    /// The other side sent a new offer (re-INVITE or UPDATE); reply with
    /// [`super::UserAgent::accept_offer`] or [`super::UserAgent::refuse_offer`].
    RemoteOffer {
        /// The call.
        call: CallRef,
        /// The offer; `None` when the other side asks for our offer (re-INVITE without SDP).
        sdp: Option<String>,
    },
    /// Our offer from [`super::UserAgent::reoffer`] was answered.
    OfferAnswered {
        /// The call.
        call: CallRef,
        /// The answer SDP.
        sdp: Option<String>,
    },
    /// Our offer was refused; the previous media session stays.
    OfferRefused {
        /// The call.
        call: CallRef,
        /// The status code.
        status: u16,
    },
    /// A DTMF digit arrived by SIP INFO.
    Dtmf {
        /// The call.
        call: CallRef,
        /// The digit (0–9, *, #, A–D).
        digit: char,
        /// Its duration in milliseconds.
        duration: u32,
    },
    /// The call ended. Reported exactly once per call.
    Ended {
        /// The call.
        call: CallRef,
        /// Why.
        reason: CallEnd,
    },
    /// A transfer we asked for progressed: the status line the transfer target reached.
    TransferProgress {
        /// The call being transferred.
        call: CallRef,
        /// The status code (100, 180, …).
        status: u16,
    },
    /// A transfer we asked for finished.
    TransferResult {
        /// The call being transferred.
        call: CallRef,
        /// Whether the target answered.
        succeeded: bool,
        /// The final status code.
        status: u16,
    },
    /// The other side asks us to call `target` (REFER) and the target is allowed; the agent
    /// has created `new_call` for it. Show the agent who is transferring them where; pass
    /// `dial` through the dialling rules ([`super::UserAgent::retarget_transfer`]), then send the
    /// offer ([`super::UserAgent::send_offer`]).
    Transferring {
        /// The call that was referred.
        call: CallRef,
        /// The new outgoing call; it needs an offer via [`super::UserAgent::send_offer`].
        new_call: CallRef,
        /// Where to.
        target: Party,
        /// Who asks (Referred-By, else the REFER's From).
        by: Option<Party>,
        /// The number of a target in our own domain (or a `tel:` number), for the dialling
        /// rules; none for a target on an allowed other server, which is called as it is.
        dial: Option<String>,
    },
    /// A REFER was refused (403, or 400 without a readable Refer-To), without NOTIFY.
    TransferRefused {
        /// The call it came in.
        call: CallRef,
        /// Who asked (Referred-By, else the REFER's From).
        by: Option<Party>,
        /// Where to, as text without embedded headers (empty when there was no Refer-To).
        target: String,
        /// Why.
        reason: super::ReferRefusal,
    },
    /// Presence of a watched party changed.
    Presence {
        /// The subscription.
        subscription: SubscriptionRef,
        /// What a directory shows.
        state: crate::body::PresenceState,
        /// A note such as "Not Ready".
        note: Option<String>,
    },
    /// The call state of a watched party changed (RFC 4235 busy lamp).
    LineState {
        /// The subscription.
        subscription: SubscriptionRef,
        /// Whether they are on a call, ringing, or idle.
        state: crate::body::LineState,
    },
    /// A subscription ended and will not be renewed.
    SubscriptionEnded {
        /// The subscription.
        subscription: SubscriptionRef,
        /// The status code or `Subscription-State` reason that ended it.
        reason: String,
    },
    /// Our presence was published (or republished).
    Published,
    /// Publishing our presence failed.
    PublishFailed {
        /// The status code (0: timeout or connection lost).
        status: u16,
    },
    /// A MESSAGE arrived and was refused (480): the phone shows no messages, so the sender is
    /// told it was not delivered instead of being acknowledged.
    MessageRefused {
        /// From whom.
        from: Party,
    },
    /// A MESSAGE arrived and was taken (200): plain text, valid UTF-8, at most
    /// [`super::MAX_TEXT_BYTES`] bytes. The text is the sender's, untrusted: show it as text.
    MessageReceived {
        /// From whom.
        from: Party,
        /// What they wrote.
        text: String,
    },
    /// A MESSAGE we sent was accepted.
    MessageDelivered {
        /// Which.
        message: MessageRef,
    },
    /// A MESSAGE we sent failed.
    MessageFailed {
        /// Which.
        message: MessageRef,
        /// The status code (0: timeout or connection lost).
        status: u16,
        /// The reason as text.
        reason: String,
    },
    /// A message the agent built was not sent: it would have carried a CR, LF or NUL outside
    /// its body (from a hostile value that slipped through), which could inject headers.
    NotSent {
        /// Which part held the byte.
        reason: String,
    },
    /// Received bytes were dropped or answered with an error without reaching the application
    /// (for diagnostics).
    Ignored {
        /// What was wrong.
        reason: String,
    },
}
