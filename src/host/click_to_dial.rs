//! Click-to-dial payloads of every host, turned into one [`DialRequest`].
//!
//! OpenFrame has no normative schema, so every shape seen in public integrations is accepted, in
//! the order `hosts.md` §2.4 gives. Open CTI Lightning passes an object, Classic a JSON string.

use serde::Deserialize;

use crate::activity::RecordRef;
use crate::dial_string::{DialStringError, normalise};
use crate::i18n::{t, t_args};

/// A number the host asked the agent to dial, with the record it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialRequest {
    /// The keys to dial, already normalised.
    pub number: String,
    /// The record's display name, when the host gave one.
    pub record_name: Option<String>,
    /// The record the number was clicked on, when the host said which (the call is logged
    /// against it).
    pub record: Option<RecordRef>,
}

/// Why a click-to-dial payload was not used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClickToDialError {
    /// The payload is not the JSON or object the host documents.
    Unreadable(String),
    /// An OpenFrame communication event that is not an outgoing call.
    NotACall(String),
    /// No phone number in any known place.
    NoNumber,
    /// A number that cannot be dialled.
    BadNumber(DialStringError),
}

impl std::fmt::Display for ClickToDialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            ClickToDialError::Unreadable(reason) => t_args("crm.dial.unreadable", &[("reason", reason)]),
            ClickToDialError::NotACall(event) => t_args("crm.dial.not-a-call", &[("event", event)]),
            ClickToDialError::NoNumber => t("crm.dial.no-number"),
            ClickToDialError::BadNumber(error) => t_args("crm.dial.bad-number", &[("reason", &error.to_string())]),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for ClickToDialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClickToDialError::BadNumber(error) => Some(error),
            _ => None,
        }
    }
}

impl From<DialStringError> for ClickToDialError {
    fn from(error: DialStringError) -> Self {
        ClickToDialError::BadNumber(error)
    }
}

/// A JSON value that hosts send either as a string or as a number.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Text {
    /// `"5550100"`.
    String(String),
    /// `5550100`.
    Integer(u64),
    /// Anything else is ignored rather than refused.
    Other(serde::de::IgnoredAny),
}

impl Text {
    fn into_string(self) -> Option<String> {
        match self {
            Text::String(s) if !s.trim().is_empty() => Some(s),
            Text::Integer(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// An OpenFrame `COMMUNICATION_EVENT` payload, in all its known shapes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct OpenFrameCommunication {
    /// `OUTGOING_CALL` for click-to-call.
    #[serde(rename = "type")]
    kind: Option<Text>,
    data: Option<OpenFrameData>,
    context: Option<OpenFrameContext>,
    phone_number: Option<Text>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct OpenFrameData {
    meta_data: Option<OpenFrameData2>,
    phone_number: Option<Text>,
    telephone_number: Option<Text>,
    phone: Option<Text>,
    number: Option<Text>,
    #[serde(flatten)]
    names: RecordNames,
}

/// `data.metaData`: the same fields one level down.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct OpenFrameData2 {
    phone_number: Option<Text>,
    #[serde(flatten)]
    names: RecordNames,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct OpenFrameContext {
    phone_number: Option<Text>,
    #[serde(flatten)]
    names: RecordNames,
}

/// The names hosts use for the record's display name, and for its table and `sys_id` where
/// the OpenFrame payload carries them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct RecordNames {
    #[serde(alias = "recordName", alias = "displayName", alias = "display_name")]
    name: Option<Text>,
    #[serde(alias = "entity")]
    table: Option<Text>,
    #[serde(alias = "sysId")]
    sys_id: Option<Text>,
}

impl RecordNames {
    fn take(&self) -> Option<String> {
        self.name.clone().and_then(Text::into_string).map(|n| n.trim().to_owned())
    }

    /// The record, when both its table and its `sys_id` are given.
    fn record(&self) -> Option<RecordRef> {
        let text = |value: &Option<Text>| value.clone().and_then(Text::into_string).map(|t| t.trim().to_owned());
        let (object, id) = (text(&self.table)?, text(&self.sys_id)?);
        record(object, id, self.take())
    }
}

/// A record from a payload's parts: an Id of letters, digits, `-` and `_` only (the Salesforce
/// Id or `sys_id` goes into host calls and URLs), an object name of the same characters.
fn record(object: String, id: String, name: Option<String>) -> Option<RecordRef> {
    let plain =
        |text: &str| text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (!id.is_empty() && plain(&id) && plain(&object)).then(|| RecordRef {
        object,
        id,
        name: name.unwrap_or_default(),
        phone: None,
    })
}

impl OpenFrameCommunication {
    /// The dial request this payload carries.
    pub fn into_request(self) -> Result<DialRequest, ClickToDialError> {
        if let Some(kind) = self.kind.and_then(Text::into_string)
            && !kind.eq_ignore_ascii_case("OUTGOING_CALL")
        {
            return Err(ClickToDialError::NotACall(kind));
        }
        let data = self.data.unwrap_or_default();
        let meta = data.meta_data.unwrap_or_default();
        let context = self.context.unwrap_or_default();
        let number = [
            meta.phone_number,
            data.phone_number,
            context.phone_number,
            self.phone_number,
            data.telephone_number,
            data.phone,
            data.number,
        ]
        .into_iter()
        .flatten()
        .find_map(Text::into_string)
        .ok_or(ClickToDialError::NoNumber)?;
        let record_name = meta.names.take().or(data.names.take()).or(context.names.take());
        let record = meta.names.record().or(data.names.record()).or(context.names.record());
        request(&number, record_name, record)
    }
}

/// The Lightning `onClickToDial` listener's argument.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LightningClickToDial {
    number: Option<Text>,
    record_name: Option<Text>,
    record_id: Option<Text>,
    object_type: Option<Text>,
}

impl LightningClickToDial {
    /// The dial request this payload carries.
    pub fn into_request(self) -> Result<DialRequest, ClickToDialError> {
        let number = self.number.and_then(Text::into_string).ok_or(ClickToDialError::NoNumber)?;
        let name = self.record_name.and_then(Text::into_string).map(|n| n.trim().to_owned());
        let object = self.object_type.and_then(Text::into_string).unwrap_or_default();
        let record = self.record_id.and_then(Text::into_string).and_then(|id| record(object, id, name.clone()));
        request(&number, name, record)
    }
}

/// The Classic `cti.onClickToDial` listener's argument, once parsed from its JSON string.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClassicClickToDial {
    number: Option<Text>,
    object_id: Option<Text>,
    object_name: Option<Text>,
    display_name: Option<Text>,
    /// The object type; Classic documents none, but passes `object` in page info.
    object: Option<Text>,
}

impl ClassicClickToDial {
    /// Parses the JSON string Classic passes to the listener.
    pub fn from_json(text: &str) -> Result<DialRequest, ClickToDialError> {
        let unreadable = |e: serde_json::Error| ClickToDialError::Unreadable(e.to_string());
        let value: serde_json::Value = serde_json::from_str(text).map_err(unreadable)?;
        if !value.is_object() {
            return Err(ClickToDialError::Unreadable(t("crm.dial.not-an-object")));
        }
        let payload: ClassicClickToDial = serde_json::from_value(value).map_err(unreadable)?;
        let number = payload.number.and_then(Text::into_string).ok_or(ClickToDialError::NoNumber)?;
        let name = payload.object_name.and_then(Text::into_string).map(|n| n.trim().to_owned());
        let object = payload.object.and_then(Text::into_string).unwrap_or_default();
        let record = payload.object_id.and_then(Text::into_string).and_then(|id| record(object, id, name.clone()));
        request(&number, name.or(payload.display_name.and_then(Text::into_string)), record)
    }
}

fn request(
    number: &str,
    record_name: Option<String>,
    record: Option<RecordRef>,
) -> Result<DialRequest, ClickToDialError> {
    Ok(DialRequest { number: normalise(number)?, record_name: record_name.filter(|n| !n.is_empty()), record })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn openframe(value: serde_json::Value) -> Result<DialRequest, ClickToDialError> {
        serde_json::from_value::<OpenFrameCommunication>(value)
            .map_err(|e| ClickToDialError::Unreadable(e.to_string()))?
            .into_request()
    }

    fn dial(number: &str, name: Option<&str>) -> DialRequest {
        DialRequest { number: number.into(), record_name: name.map(Into::into), record: None }
    }

    #[test]
    fn every_openframe_shape() {
        let shapes = [
            json!({"type": "OUTGOING_CALL", "data": {"metaData": {"phoneNumber": "+1 (555) 010-0101", "name": "Ana Díaz"}}}),
            json!({"type": "OUTGOING_CALL", "data": {"phoneNumber": "+1 555 010 0101", "displayName": "Ana Díaz"}}),
            json!({"context": {"phone_number": "+15550100101", "name": "Ana Díaz"}}),
            json!({"phone_number": "+1.555.010.0101", "data": {"recordName": "Ana Díaz"}}),
            json!({"type": "OUTGOING_CALL", "data": {"telephoneNumber": "+15550100101", "name": "Ana Díaz"}}),
            json!({"data": {"phone": "+15550100101", "name": "Ana Díaz"}}),
            json!({"data": {"number": "+15550100101", "display_name": "Ana Díaz"}}),
        ];
        for shape in shapes {
            assert_eq!(openframe(shape.clone()).unwrap(), dial("+15550100101", Some("Ana Díaz")), "{shape}");
        }
    }

    #[test]
    fn openframe_payloads_keep_the_record_they_name() {
        let ana = RecordRef {
            object: "customer_contact".into(),
            id: "c0a7ac70a1".into(),
            name: "Ana Díaz".into(),
            phone: None,
        };
        let meta = json!({"type": "OUTGOING_CALL", "data": {"metaData": {"phoneNumber": "+15550100101", "name": "Ana Díaz",
                          "table": "customer_contact", "sys_id": "c0a7ac70a1"}}});
        assert_eq!(openframe(meta).unwrap().record, Some(ana.clone()));
        let data = json!({"data": {"phone": "1", "displayName": "Ana Díaz", "entity": "customer_contact", "sysId": "c0a7ac70a1"}});
        assert_eq!(openframe(data).unwrap().record, Some(ana));
        // A table without an id, or an id without a table, names no record.
        assert_eq!(openframe(json!({"data": {"phone": "1", "table": "customer_contact"}})).unwrap().record, None);
        assert_eq!(openframe(json!({"context": {"phone_number": "1", "sys_id": "c0a7"}})).unwrap().record, None);
        assert_eq!(
            openframe(json!({"data": {"phone": "1", "table": "x^ORy", "sys_id": "c0a7"}})).unwrap().record,
            None
        );
        assert_eq!(
            openframe(json!({"data": {"phone": "1", "table": "incident", "sys_id": "a&b=c"}})).unwrap().record,
            None
        );
    }

    #[test]
    fn openframe_priority_follows_the_documented_order() {
        let both = json!({"data": {"metaData": {"phoneNumber": "111"}, "phoneNumber": "222", "number": "333"}});
        assert_eq!(openframe(both).unwrap().number, "111");
        let numeric = json!({"data": {"phone": 5550100}});
        assert_eq!(openframe(numeric).unwrap(), dial("5550100", None));
        let blank_first = json!({"data": {"phoneNumber": "  ", "number": "444"}});
        assert_eq!(openframe(blank_first).unwrap().number, "444");
    }

    #[test]
    fn openframe_junk_is_refused() {
        assert_eq!(openframe(json!({})), Err(ClickToDialError::NoNumber));
        assert_eq!(openframe(json!({"type": "OUTGOING_CALL", "data": null})), Err(ClickToDialError::NoNumber));
        assert_eq!(
            openframe(json!({"type": "WRAP_UP", "data": {"phoneNumber": "555"}})),
            Err(ClickToDialError::NotACall("WRAP_UP".into()))
        );
        assert!(matches!(
            openframe(json!({"data": {"phoneNumber": "<img src=x>"}})),
            Err(ClickToDialError::BadNumber(DialStringError::Invalid('<')))
        ));
        assert!(matches!(openframe(json!("OUTGOING_CALL")), Err(ClickToDialError::Unreadable(_))));
        assert_eq!(openframe(json!({"data": {"phone": {"nested": true}, "name": 7}})), Err(ClickToDialError::NoNumber));
    }

    #[test]
    fn lightning_payload() {
        let payload = json!({"number": "(415) 555-0131", "recordId": "003xx", "recordName": "Lena Park",
                              "objectType": "Contact", "contactId": "003xx", "personAccount": false, "params": ""});
        let parsed: LightningClickToDial = serde_json::from_value(payload).unwrap();
        let lena = RecordRef { object: "Contact".into(), id: "003xx".into(), name: "Lena Park".into(), phone: None };
        assert_eq!(
            parsed.into_request().unwrap(),
            DialRequest { record: Some(lena), ..dial("4155550131", Some("Lena Park")) }
        );
        // A list view or the phone's own page: a number and no record.
        let bare: LightningClickToDial = serde_json::from_value(json!({"number": "5550100"})).unwrap();
        assert_eq!(bare.into_request().unwrap(), dial("5550100", None));
        let no_type: LightningClickToDial =
            serde_json::from_value(json!({"number": "1", "recordId": "001xx"})).unwrap();
        assert_eq!(
            no_type.into_request().unwrap().record,
            Some(RecordRef { object: String::new(), id: "001xx".into(), name: String::new(), phone: None })
        );
        let odd_id: LightningClickToDial =
            serde_json::from_value(json!({"number": "1", "recordId": "001'+alert(1)+'", "objectType": "Account"}))
                .unwrap();
        assert_eq!(odd_id.into_request().unwrap().record, None);
        let empty: LightningClickToDial = serde_json::from_value(json!({"recordName": "X"})).unwrap();
        assert_eq!(empty.into_request(), Err(ClickToDialError::NoNumber));
    }

    #[test]
    fn classic_payload_is_a_json_string() {
        let text = r#"{"number":"415-555-0142","objectId":"001xx","objectName":"Globex","displayName":"Accounts"}"#;
        let globex = RecordRef { object: String::new(), id: "001xx".into(), name: "Globex".into(), phone: None };
        assert_eq!(
            ClassicClickToDial::from_json(text).unwrap(),
            DialRequest { record: Some(globex), ..dial("4155550142", Some("Globex")) }
        );
        let typed = r#"{"number":"1","objectId":"00Qxx","objectName":"Ravi Shah","object":"Lead"}"#;
        assert_eq!(ClassicClickToDial::from_json(typed).unwrap().record.map(|r| r.object), Some("Lead".into()));
        assert_eq!(ClassicClickToDial::from_json(r#"{"number":"1","objectId":""}"#).unwrap().record, None);
        assert!(matches!(ClassicClickToDial::from_json("not json"), Err(ClickToDialError::Unreadable(_))));
        assert_eq!(ClassicClickToDial::from_json("{}"), Err(ClickToDialError::NoNumber));
        assert!(matches!(ClassicClickToDial::from_json("[1,2]"), Err(ClickToDialError::Unreadable(_))));
    }
}
