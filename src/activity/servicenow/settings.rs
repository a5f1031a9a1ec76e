//! The ServiceNow settings the widget's CRM side reads (the `crm.servicenow` keys of
//! `framephone.json`).

/// The `crm.servicenow` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNowSettings {
    /// The tables searched for a caller, in order.
    pub search: Vec<SearchTable>,
    /// The table whose new-record form opens when no record matches.
    pub new_record_table: String,
    /// Where call logs go.
    pub log_to: LogTarget,
    /// The OAuth application registry entry's client id (a public client, PKCE).
    pub oauth_client_id: Option<String>,
}

/// One table searched for a caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchTable {
    /// The table name.
    pub table: String,
    /// Its phone-number fields.
    pub fields: Vec<String>,
    /// The field that names a record for the agent.
    pub name_field: String,
}

/// Where call logs go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// A row of `sn_openframe_phone_log` through the Table API.
    PhoneLog,
    /// `/api/now/openframe/voice-interaction`.
    VoiceInteraction,
}

impl Default for ServiceNowSettings {
    fn default() -> Self {
        let table = |table: &str, fields: &[&str]| SearchTable {
            table: table.into(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            name_field: "name".into(),
        };
        ServiceNowSettings {
            search: vec![
                table("customer_contact", &["phone", "mobile_phone"]),
                table("sys_user", &["phone", "mobile_phone"]),
                table("customer_account", &["phone"]),
            ],
            new_record_table: "customer_contact".into(),
            log_to: LogTarget::PhoneLog,
            oauth_client_id: None,
        }
    }
}
