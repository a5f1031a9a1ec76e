//! Which host the widget is embedded in: what the status line and the host labels name.

/// The host the widget is embedded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// ServiceNow OpenFrame.
    ServiceNow,
    /// Salesforce Open CTI in Lightning Experience.
    SalesforceLightning,
    /// Salesforce Open CTI in Salesforce Classic.
    SalesforceClassic,
    /// A browser tab of its own (the pop-out).
    Standalone,
}

impl HostKind {
    /// The name an agent knows the host by, in the phone's language.
    pub fn label(self) -> String {
        match self {
            HostKind::ServiceNow => "ServiceNow".to_owned(),
            HostKind::SalesforceLightning => "Salesforce".to_owned(),
            HostKind::SalesforceClassic => "Salesforce Classic".to_owned(),
            HostKind::Standalone => crate::i18n::t("host.pop-out"),
        }
    }
}
