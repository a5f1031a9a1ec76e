//! Checks shared by the fuzz targets and the tests that replay their corpora.

pub mod message_checks;
pub mod transaction_driver;
