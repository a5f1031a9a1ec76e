//! Checks shared by the fuzz targets and the tests that replay their corpora.

pub mod agent_driver;
pub mod message_checks;
pub mod transaction_driver;
