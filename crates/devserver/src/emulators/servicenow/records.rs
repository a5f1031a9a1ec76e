//! The instance's records: what the workspace page shows and what the Table API returns, from
//! one list, so a record found through the API is the one on the page.

use serde::Serialize;

/// One record of the instance: a row of `table` with its fields as the form shows them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Record {
    /// The table (`customer_contact`, `sys_user`, `customer_account`, `sn_customerservice_case`…).
    pub table: String,
    /// The record's 32-character id.
    pub sys_id: String,
    /// The workspace's tab for it (`Contact Ana Díaz`).
    pub label: String,
    /// The form's heading.
    pub title: String,
    /// Who the record's phone numbers reach: the name a click-to-call sends with the number.
    pub contact_name: String,
    /// The fields, in the form's order.
    pub fields: Vec<Field>,
}

/// One field of a record.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Field {
    /// The column's name, as the Table API and encoded queries spell it (`mobile_phone`).
    pub column: String,
    /// The form's label (`Mobile phone`).
    pub label: String,
    /// The value, as the Table API returns it (a string).
    pub value: String,
    /// Whether the form offers click-to-call on it.
    pub phone: bool,
}

impl Field {
    /// A field that is no phone number.
    pub fn text(column: &str, label: &str, value: &str) -> Self {
        Field { column: column.into(), label: label.into(), value: value.into(), phone: false }
    }

    /// A phone number the form offers click-to-call on.
    pub fn phone(column: &str, label: &str, value: &str) -> Self {
        Field { phone: true, ..Field::text(column, label, value) }
    }
}

impl Record {
    /// The record as a Table API row: `sys_id` and every column.
    pub(crate) fn row(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut row = serde_json::Map::new();
        row.insert("sys_id".into(), self.sys_id.clone().into());
        for field in &self.fields {
            row.insert(field.column.clone(), field.value.clone().into());
        }
        row
    }
}

/// The records the demo instance starts with. The Case and the Contact Ana Díaz share her
/// business number, and the Account Boxeo Corp's number is her mobile: two records for one
/// caller, as the screen pop's picker needs.
pub(crate) fn demo() -> Vec<Record> {
    let record = |table: &str, sys_id: &str, label: &str, title: &str, contact_name: &str, fields| Record {
        table: table.into(),
        sys_id: sys_id.into(),
        label: label.into(),
        title: title.into(),
        contact_name: contact_name.into(),
        fields,
    };
    vec![
        record(
            "sn_customerservice_case",
            "c1a5e0000000000000000000000000001",
            "Case CS0001001",
            "CS0001001 — Cannot sign in to the customer portal",
            "Ana Díaz",
            vec![
                Field::text("contact", "Contact", "Ana Díaz"),
                Field::phone("contact.phone", "Contact phone", "+1 (555) 010-0101"),
                Field::text("account", "Account", "Boxeo Corp"),
                Field::text("priority", "Priority", "2 - High"),
                Field::text("state", "State", "Work in Progress"),
                Field::text("number", "Number", "CS0001001"),
            ],
        ),
        record(
            "customer_contact",
            "c0a7ac7000000000000000000000000a1",
            "Contact Ana Díaz",
            "Ana Díaz",
            "Ana Díaz",
            vec![
                Field::text("name", "Name", "Ana Díaz"),
                Field::text("account", "Account", "Boxeo Corp"),
                Field::phone("phone", "Business phone", "+1 (555) 010-0101"),
                Field::phone("mobile_phone", "Mobile phone", "+1 555 010 0177"),
                Field::text("email", "Email", "ana.diaz@boxeo.example"),
            ],
        ),
        record(
            "customer_contact",
            "c0a7ac7000000000000000000000000b2",
            "Contact Marcus Lee",
            "Marcus Lee",
            "Marcus Lee",
            vec![
                Field::text("name", "Name", "Marcus Lee"),
                Field::text("account", "Account", "Northwind Ltd"),
                Field::phone("phone", "Business phone", "+44 20 7946 0958"),
                Field::text("email", "Email", "m.lee@northwind.example"),
            ],
        ),
        record(
            "sys_user",
            "05e40000000000000000000000000c3",
            "User Priya Nair",
            "Priya Nair",
            "Priya Nair",
            vec![
                Field::text("name", "Name", "Priya Nair"),
                Field::text("title", "Title", "Support engineer"),
                Field::phone("phone", "Business phone", "1002"),
                Field::text("department", "Department", "Tier 2 support"),
            ],
        ),
        record(
            "customer_account",
            "acc0b0e00000000000000000000000d4",
            "Account Boxeo Corp",
            "Boxeo Corp",
            "Boxeo Corp",
            vec![
                Field::text("name", "Name", "Boxeo Corp"),
                Field::phone("phone", "Phone", "+1 555 010 0177"),
                Field::text("city", "City", "Austin"),
            ],
        ),
    ]
}
