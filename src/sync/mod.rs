//! One phone per agent across CRM tabs, the frame and the pop-out: which instance owns it (the
//! others mirror it and send it commands), what they say to each other, and what the agent is
//! told about it, decided without a browser.

pub mod call_move;
pub mod crm_work;
pub mod envelope;
pub mod home;
pub mod message;
pub mod ownership;
