//! The `crm` section: when the caller's record opens, what wrap-up asks, and how ServiceNow is
//! searched and written to.

use serde_json::Value;

use super::reader::{ObjectReader, Problems, as_array, as_str, item_path};
use crate::activity::caller_match::is_field_name;
use crate::i18n::{t, t_args};

/// The most tables a screen pop searches (one REST request each, on every call).
pub const MAX_SEARCH_TABLES: usize = 5;
/// The most number fields searched per table.
pub const MAX_SEARCH_FIELDS: usize = 5;
/// The most dispositions offered in wrap-up.
pub const MAX_DISPOSITIONS: usize = 30;

/// What the phone does in the CRM around a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmSettings {
    /// When the caller's record opens.
    pub screen_pop: ScreenPopWhen,
    /// Open a new-record form with the caller's number when no record matches.
    pub new_record_when_no_match: bool,
    /// The dispositions wrap-up offers (none: wrap-up asks for notes only).
    pub dispositions: Vec<String>,
    /// Whether wrap-up cannot end without a disposition (the After Call Work timer still ends it).
    pub disposition_required: bool,
    /// How ServiceNow is searched and logged to.
    pub servicenow: ServiceNowSettings,
}

/// When the caller's record opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenPopWhen {
    /// As soon as a call rings (outbound calls: when dialled).
    Ring,
    /// When the agent answers.
    Answer,
    /// Never.
    Off,
}

/// The ServiceNow side: search tables, logging target and the OAuth client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNowSettings {
    /// Where the caller's number is looked up, in order.
    pub search: Vec<SearchTable>,
    /// The table of the new-record form.
    pub new_record_table: String,
    /// Where call logs go.
    pub log_to: LogTarget,
    /// The OAuth application registry entry's client id (a public client using PKCE); none
    /// means the widget cannot search or log in ServiceNow.
    pub oauth_client_id: Option<String>,
}

/// One table searched by phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchTable {
    /// The table (`customer_contact`).
    pub table: String,
    /// Its fields holding phone numbers.
    pub fields: Vec<String>,
    /// The field shown as the record's name.
    pub name_field: String,
}

/// Where ServiceNow call logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// A row in `sn_openframe_phone_log` through the Table API.
    PhoneLog,
    /// `/api/now/openframe/voice-interaction` (the OpenFrame store plugin).
    VoiceInteraction,
}

impl Default for CrmSettings {
    fn default() -> Self {
        CrmSettings {
            screen_pop: ScreenPopWhen::Ring,
            new_record_when_no_match: false,
            dispositions: Vec::new(),
            disposition_required: false,
            servicenow: ServiceNowSettings::default(),
        }
    }
}

impl Default for ServiceNowSettings {
    fn default() -> Self {
        let table = |table: &str, fields: &[&str]| SearchTable {
            table: table.to_owned(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            name_field: "name".to_owned(),
        };
        ServiceNowSettings {
            search: vec![
                table("customer_contact", &["phone", "mobile_phone"]),
                table("sys_user", &["phone", "mobile_phone"]),
                table("customer_account", &["phone"]),
            ],
            new_record_table: "customer_contact".to_owned(),
            log_to: LogTarget::PhoneLog,
            oauth_client_id: None,
        }
    }
}

pub(super) fn read_crm(value: &Value, problems: &mut Problems) -> Option<CrmSettings> {
    let mut crm = ObjectReader::new("crm", value, problems)?;
    let defaults = CrmSettings::default();
    let when = [("ring", ScreenPopWhen::Ring), ("answer", ScreenPopWhen::Answer), ("off", ScreenPopWhen::Off)];
    let expected = t_args("config.crm.screen-pop-choices", &[("ring", "ring"), ("answer", "answer"), ("off", "off")]);
    let screen_pop = crm.choice("screenPop", defaults.screen_pop, &when, &expected, problems);
    let new_record = crm.boolean("newRecordWhenNoMatch", defaults.new_record_when_no_match, problems);
    let dispositions_path = crm.path_of("dispositions");
    let dispositions =
        crm.labels("dispositions", &t("config.crm.disposition"), 60, problems).unwrap_or(Some(Vec::new()));
    if dispositions.as_ref().is_some_and(|d| d.len() > MAX_DISPOSITIONS) {
        let max = MAX_DISPOSITIONS.to_string();
        problems.push(&dispositions_path, t_args("config.crm.too-many-dispositions", &[("max", &max)]));
    }
    let required_path = crm.path_of("dispositionRequired");
    let required = crm.boolean("dispositionRequired", defaults.disposition_required, problems);
    if required && dispositions.as_ref().is_some_and(Vec::is_empty) {
        let args = [("true", "true"), ("dispositions", "crm.dispositions")];
        problems.push(&required_path, t_args("config.crm.required-without-dispositions", &args));
    }
    let servicenow = match crm.value("servicenow") {
        Some(v) => read_servicenow(v, problems),
        None => Some(defaults.servicenow),
    };
    crm.finish(problems);
    Some(CrmSettings {
        screen_pop: screen_pop?,
        new_record_when_no_match: new_record,
        dispositions: dispositions?,
        disposition_required: required,
        servicenow: servicenow?,
    })
}

fn read_servicenow(value: &Value, problems: &mut Problems) -> Option<ServiceNowSettings> {
    let mut section = ObjectReader::new("crm.servicenow", value, problems)?;
    let defaults = ServiceNowSettings::default();
    let search_path = section.path_of("search");
    let search = match section.value("search") {
        None => Some(defaults.search),
        Some(v) => read_search(&search_path, v, problems),
    };
    let table_path = section.path_of("newRecordTable");
    let new_record_table = match section.string("newRecordTable", problems) {
        None => Some(defaults.new_record_table),
        Some(table) => name(&table_path, table, &t("config.crm.table-name"), problems),
    };
    let targets = [("phoneLog", LogTarget::PhoneLog), ("voiceInteraction", LogTarget::VoiceInteraction)];
    let expected =
        t_args("config.crm.log-to-choices", &[("phone_log", "phoneLog"), ("voice_interaction", "voiceInteraction")]);
    let log_to = section.choice("logTo", defaults.log_to, &targets, &expected, problems);
    let client_path = section.path_of("oauthClientId");
    let client_id = match section.string("oauthClientId", problems) {
        None => Some(None),
        Some(id) if is_client_id(id) => Some(Some(id.to_owned())),
        Some(id) => {
            let value = id.escape_debug().to_string();
            let args = [("value", value.as_str()), ("client_id", "Client ID")];
            problems.push(&client_path, t_args("config.crm.oauth-client-id", &args));
            None
        }
    };
    section.finish(problems);
    Some(ServiceNowSettings {
        search: search?,
        new_record_table: new_record_table?,
        log_to: log_to?,
        oauth_client_id: client_id?,
    })
}

fn read_search(path: &str, value: &Value, problems: &mut Problems) -> Option<Vec<SearchTable>> {
    let items = as_array(path, value, problems)?;
    if items.len() > MAX_SEARCH_TABLES {
        let (count, max) = (items.len().to_string(), MAX_SEARCH_TABLES.to_string());
        problems.push(path, t_args("config.crm.too-many-tables", &[("count", &count), ("max", &max)]));
        return None;
    }
    let read: Vec<Option<SearchTable>> =
        items.iter().enumerate().map(|(i, item)| read_search_table(&item_path(path, i), item, problems)).collect();
    read.into_iter().collect()
}

fn read_search_table(path: &str, value: &Value, problems: &mut Problems) -> Option<SearchTable> {
    let mut entry = ObjectReader::new(path, value, problems)?;
    let table_path = entry.path_of("table");
    let table = entry.required("table", problems).and_then(|v| as_str(&table_path, v, problems));
    let table = table.and_then(|text| name(&table_path, text, &t("config.crm.table-name"), problems));
    let fields_path = entry.path_of("fields");
    let fields =
        entry.required("fields", problems).and_then(|v| as_array(&fields_path, v, problems)).and_then(|items| {
            if items.is_empty() || items.len() > MAX_SEARCH_FIELDS {
                let max = MAX_SEARCH_FIELDS.to_string();
                problems.push(&fields_path, t_args("config.crm.fields-count", &[("max", &max)]));
                return None;
            }
            let read: Vec<Option<String>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = item_path(&fields_path, i);
                    as_str(&path, item, problems).and_then(|f| name(&path, f, &t("config.crm.field-name"), problems))
                })
                .collect();
            read.into_iter().collect()
        });
    let name_path = entry.path_of("nameField");
    let name_field = match entry.string("nameField", problems) {
        None => Some("name".to_owned()),
        Some(field) => name(&name_path, field, &t("config.crm.field-name"), problems),
    };
    entry.finish(problems);
    Some(SearchTable { table: table?, fields: fields?, name_field: name_field? })
}

/// A table or field name, which goes into REST paths and encoded queries: checked so that it
/// cannot change their meaning.
fn name(path: &str, text: &str, what: &str, problems: &mut Problems) -> Option<String> {
    if is_field_name(text) {
        Some(text.to_owned())
    } else {
        let value = text.escape_debug().to_string();
        problems.push(path, t_args("config.crm.not-a-name", &[("value", &value), ("what", what)]));
        None
    }
}

fn is_client_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    const BASE: &str =
        r#""sip":{"domain":"d.test","servers":["wss://s.test"]},"hosts":{"allowedOrigins":["https://a.test"]}"#;

    fn parse(crm: &str) -> Result<CrmSettings, Vec<String>> {
        Config::parse(&format!("{{{BASE},\"crm\":{crm}}}"))
            .map(|config| config.crm)
            .map_err(|problems| problems.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn defaults_search_the_three_tables_and_pop_on_ring() {
        let config = Config::parse(&format!("{{{BASE}}}")).unwrap();
        assert_eq!(config.crm, CrmSettings::default());
        let tables: Vec<&str> = config.crm.servicenow.search.iter().map(|t| t.table.as_str()).collect();
        assert_eq!(tables, ["customer_contact", "sys_user", "customer_account"]);
        assert_eq!(config.crm.screen_pop, ScreenPopWhen::Ring);
    }

    #[test]
    fn every_key_is_read() {
        let crm = parse(
            r#"{"screenPop":"answer","newRecordWhenNoMatch":true,"dispositions":["Resolved"," Call back "],
                "dispositionRequired":true,"servicenow":{"search":[{"table":"u_caller","fields":["u_phone"],
                "nameField":"u_label"}],"newRecordTable":"u_caller","logTo":"voiceInteraction",
                "oauthClientId":"framephone-widget"}}"#,
        )
        .unwrap();
        assert_eq!(crm.screen_pop, ScreenPopWhen::Answer);
        assert!(crm.new_record_when_no_match && crm.disposition_required);
        assert_eq!(crm.dispositions, ["Resolved", "Call back"]);
        let search = &crm.servicenow.search[0];
        assert_eq!(
            (search.table.as_str(), search.fields.as_slice(), search.name_field.as_str()),
            ("u_caller", &["u_phone".to_owned()][..], "u_label")
        );
        assert_eq!(crm.servicenow.log_to, LogTarget::VoiceInteraction);
        assert_eq!(crm.servicenow.oauth_client_id.as_deref(), Some("framephone-widget"));
    }

    #[test]
    fn each_problem_names_its_key() {
        let problems = parse(
            r#"{"screenPop":"always","newRecordWhenNoMatch":"yes","dispositions":["A","A",""],
                "servicenow":{"search":[{"table":"sys_user^ORactive=true","fields":[]},{"fields":["phone"]}],
                "logTo":"email","oauthClientId":"id with spaces","secret":"x"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            problems,
            [
                r#"crm.screenPop: "always" must be "ring", "answer" or "off""#,
                "crm.newRecordWhenNoMatch: expected true or false, found a string",
                r#"crm.dispositions[1]: "A" is listed twice"#,
                "crm.dispositions[2]: must be a disposition of 1 to 60 characters",
                r#"crm.servicenow.search[0].table: "sys_user^ORactive=true" is not a table name: letters, digits and '_', starting with a letter"#,
                "crm.servicenow.search[0].fields: must list 1 to 5 fields holding phone numbers",
                "crm.servicenow.search[1].table: is required",
                r#"crm.servicenow.logTo: "email" must be "phoneLog" or "voiceInteraction""#,
                r#"crm.servicenow.oauthClientId: "id with spaces" is not an OAuth client id: copy the Client ID of the instance's OAuth application registry entry (letters, digits, '-', '_', '.')"#,
                "crm.servicenow.secret: is not a known setting (expected one of: search, newRecordTable, logTo, oauthClientId)",
            ]
        );
    }

    #[test]
    fn a_required_disposition_needs_dispositions() {
        assert_eq!(
            parse(r#"{"dispositionRequired":true}"#).unwrap_err(),
            ["crm.dispositionRequired: is true but crm.dispositions lists none to choose from"]
        );
        let too_many: Vec<String> =
            (0..=MAX_SEARCH_TABLES).map(|i| format!(r#"{{"table":"t{i}","fields":["p"]}}"#)).collect();
        assert_eq!(
            parse(&format!(r#"{{"servicenow":{{"search":[{}]}}}}"#, too_many.join(","))).unwrap_err(),
            ["crm.servicenow.search: lists 6 tables; at most 5 are searched"]
        );
    }
}
