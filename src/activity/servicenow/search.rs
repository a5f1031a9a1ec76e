//! Screen pop's search through the Table API: one request per configured table for the records
//! whose number fields end in the caller's digits ([`caller_match::servicenow_query`]), and of
//! the rows it returns, the records that really carry the caller's number
//! ([`caller_match::same_number`]).

use serde_json::Value;

use super::{Method, Request, is_sys_id, table_url};
use crate::activity::RecordRef;
use crate::activity::caller_match::{is_field_name, same_number, servicenow_query};
use crate::activity::form_encoding;
use crate::config::SearchTable;
use crate::i18n::t_args;
use crate::origin::Origin;

/// Rows asked of each table: the last four digits match more records than the number does,
/// and [`same_number`] keeps the right ones.
pub const ROWS_PER_TABLE: usize = 20;

/// The search of `table` for `number`; none when the table or every field is not a valid name,
/// or the number has no digit.
pub fn request(instance: &Origin, table: &SearchTable, number: &str) -> Option<Request> {
    if !is_field_name(&table.table) {
        return None;
    }
    let query = servicenow_query(number, &table.fields)?;
    let mut fields = vec!["sys_id"];
    for field in std::iter::once(&table.name_field).chain(&table.fields) {
        if is_field_name(field) && !fields.contains(&field.as_str()) {
            fields.push(field);
        }
    }
    let limit = ROWS_PER_TABLE.to_string();
    let parameters = form_encoding::pairs(&[
        ("sysparm_query", &query),
        ("sysparm_fields", &fields.join(",")),
        ("sysparm_limit", &limit),
        ("sysparm_exclude_reference_link", "true"),
    ]);
    Some(Request {
        method: Method::Get,
        url: format!("{}?{parameters}", table_url(instance, &table.table)),
        body: None,
        authorised: true,
    })
}

/// The records of a successful search answer whose number fields hold `number`, in the
/// instance's order; rows without a usable `sys_id` are skipped.
pub fn matches(table: &SearchTable, number: &str, body: &str) -> Result<Vec<RecordRef>, String> {
    let name = table.table.as_str();
    let value: Value = serde_json::from_str(body).map_err(|_| t_args("crm.search.not-json", &[("table", name)]))?;
    let rows = value
        .get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| t_args("crm.search.no-list", &[("table", name), ("key", "result")]))?;
    let mut found: Vec<RecordRef> = Vec::new();
    for row in rows {
        let Some(id) = text(row.get("sys_id")).filter(|id| is_sys_id(id)) else { continue };
        // The number as this record writes it, from the first field that carries it.
        let written = table.fields.iter().filter_map(|field| text(row.get(field))).find(|v| same_number(v, number));
        if written.is_some() && !found.iter().any(|r| r.id == id) {
            let name = text(row.get(&table.name_field)).unwrap_or_default();
            found.push(RecordRef { object: table.table.clone(), id, name, phone: written });
        }
    }
    Ok(found)
}

/// A field's value as text: a string, or a reference's `display_value` / `value`.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(object) => {
            object.get("display_value").or(object.get("value")).and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance() -> Origin {
        Origin::parse("https://acme.service-now.com").expect("origin")
    }

    fn contacts() -> SearchTable {
        SearchTable {
            table: "customer_contact".into(),
            fields: vec!["phone".into(), "mobile_phone".into()],
            name_field: "name".into(),
        }
    }

    #[test]
    fn the_search_asks_the_table_for_the_numbers_end_and_the_fields_it_needs() {
        let request = request(&instance(), &contacts(), "+1 (555) 010-0177").expect("a request");
        assert_eq!(request.method, Method::Get);
        assert!(request.authorised && request.body.is_none());
        assert_eq!(
            request.url,
            "https://acme.service-now.com/api/now/table/customer_contact?sysparm_query=phoneLIKE0177%5EORmobile_phoneLIKE0177\
             &sysparm_fields=sys_id%2Cname%2Cphone%2Cmobile_phone&sysparm_limit=20&sysparm_exclude_reference_link=true"
        );
    }

    #[test]
    fn hostile_tables_fields_and_numbers_build_no_other_request() {
        let instance = instance();
        let evil_table = SearchTable { table: "sys_user/../x".into(), ..contacts() };
        assert_eq!(request(&instance, &evil_table, "0177"), None);
        assert_eq!(request(&instance, &SearchTable { table: "a?b=c".into(), ..contacts() }, "0177"), None);
        assert_eq!(request(&instance, &contacts(), "anonymous"), None);
        let evil_fields = SearchTable {
            fields: vec!["phone^ORactive=true".into(), "phone".into()],
            name_field: "name&sysparm_limit=1000".into(),
            ..contacts()
        };
        let url = request(&instance, &evil_fields, "0177^NQactive=true").expect("a request").url;
        assert!(url.contains("sysparm_query=phoneLIKE0177&sysparm_fields=sys_id%2Cphone&"), "{url}");
        assert!(url.starts_with("https://acme.service-now.com/api/now/table/customer_contact?"), "{url}");
    }

    #[test]
    fn only_rows_carrying_the_number_are_matches() {
        let body = r#"{"result":[
            {"sys_id":"c0a7ac7000000000000000000000000a1","name":"Ana Díaz","phone":"+1 (555) 010-0101","mobile_phone":"+1 555 010 0177"},
            {"sys_id":"c0a7ac7000000000000000000000000b9","name":"Other","phone":"+1 555 999 0177","mobile_phone":""},
            {"sys_id":"c0a7ac7000000000000000000000000a1","name":"Ana Díaz","phone":"+1 555 010 0177"},
            {"sys_id":"bad/../id","name":"Forged","phone":"+15550100177"},
            {"name":"No id","phone":"+15550100177"},
            {"sys_id":"c0a7ac7000000000000000000000000c4","name":{"display_value":"By reference"},"mobile_phone":{"value":"5550100177"}}
        ]}"#;
        let found = matches(&contacts(), "+15550100177", body).expect("readable");
        assert_eq!(
            found,
            vec![
                RecordRef {
                    object: "customer_contact".into(),
                    id: "c0a7ac7000000000000000000000000a1".into(),
                    name: "Ana Díaz".into(),
                    // As the field that carries the caller's number writes it.
                    phone: Some("+1 555 010 0177".into())
                },
                RecordRef {
                    object: "customer_contact".into(),
                    id: "c0a7ac7000000000000000000000000c4".into(),
                    name: "By reference".into(),
                    phone: Some("5550100177".into())
                },
            ]
        );
        assert_eq!(matches(&contacts(), "+15550100177", r#"{"result":[]}"#), Ok(vec![]));
        assert!(matches(&contacts(), "1", "<html>").is_err());
        assert!(matches(&contacts(), "1", r#"{"error":{}}"#).is_err());
    }
}
