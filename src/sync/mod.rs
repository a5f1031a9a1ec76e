//! One phone per agent across CRM tabs, the frame and the pop-out: which instance owns it (the
//! others mirror it and send it commands), decided without a browser.

pub mod message;
pub mod ownership;
