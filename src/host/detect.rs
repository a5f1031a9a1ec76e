//! Where the widget is running, decided from its URL parameters and the allow-list alone,
//! before any script is loaded or any message is posted.

use std::fmt;

use crate::config::{Config, SalesforceMode, origin_reason};
pub use crate::host_kind::HostKind;
use crate::i18n::{t, t_args};
use crate::origin::{Origin, OriginError};

/// A host that passed the allow-list: its kind and the one origin the widget may talk to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Which host.
    pub kind: HostKind,
    /// The validated host origin; `None` only for [`HostKind::Standalone`].
    pub origin: Option<Origin>,
    /// Salesforce, but neither the configuration nor the URL said whether Lightning or Classic:
    /// `kind` is the configured default until `host::settle` has tried the Lightning library.
    pub flavour_unknown: bool,
}

/// Lightning Experience or Classic, as far as the configuration and the URL tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `sforce.opencti`.
    Lightning,
    /// `sforce.interaction`.
    Classic,
    /// Nothing tells: a custom domain, or the emulator on a loopback address.
    Unknown,
}

/// Decides the Open CTI flavour, most trusted first: the configuration's override
/// (`hosts.salesforceMode`); then the host of `sfdcIframeOrigin`, as Salesforce serves Lightning
/// Experience from `*.lightning.force.com` and Classic from `*.salesforce.com` (My Domain
/// `*.my.salesforce.com`, old instances like `na1.salesforce.com`) and `*.force.com`; then the
/// `mode=Lightning` parameter, which Salesforce's Lightning adapter URLs carry but no Salesforce
/// document names. Anything else is [`Flavour::Unknown`].
pub fn salesforce_flavour(origin: &Origin, mode: Option<&str>, overridden: Option<SalesforceMode>) -> Flavour {
    match overridden {
        Some(SalesforceMode::Lightning) => return Flavour::Lightning,
        Some(SalesforceMode::Classic) => return Flavour::Classic,
        None => {}
    }
    let host = origin.host().to_ascii_lowercase();
    if host.ends_with(".lightning.force.com") {
        return Flavour::Lightning;
    }
    if host.ends_with(".salesforce.com") || host.ends_with(".force.com") {
        return Flavour::Classic;
    }
    match mode.map(str::to_ascii_lowercase).as_deref() {
        Some("lightning") => Flavour::Lightning,
        _ => Flavour::Unknown,
    }
}

/// Why the widget refuses to talk to the page that embeds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DetectError {
    /// The parameter is not an origin at all.
    Malformed {
        /// Parameter name as it appeared in the URL.
        param: String,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: OriginError,
    },
    /// A valid origin that the administrator has not allowed.
    NotAllowed {
        /// The refused origin.
        origin: Origin,
    },
    /// Both the ServiceNow and the Salesforce parameter are present.
    Ambiguous,
    /// The pop-out view runs inside a frame of a page that is not allowed to embed it.
    FramedBy {
        /// The embedding page's origin, as the browser gave it.
        origin: String,
    },
    /// The pop-out view runs inside a frame and the browser does not say whose.
    FramedByUnknown,
}

/// The setting an administrator extends to let a page embed the phone.
const ALLOW_LIST_SETTING: &str = "hosts.allowedOrigins";

impl fmt::Display for DetectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            DetectError::Malformed { param, value, reason } => {
                let reason = origin_reason(reason);
                t_args("config.refused.malformed", &[("param", param), ("value", value), ("reason", &reason)])
            }
            DetectError::NotAllowed { origin } => {
                let origin = origin.to_string();
                t_args("config.refused.not-allowed", &[("origin", &origin), ("setting", ALLOW_LIST_SETTING)])
            }
            DetectError::Ambiguous => {
                t_args("config.refused.ambiguous", &[("servicenow", "topDomain"), ("salesforce", "sfdcIframeOrigin")])
            }
            DetectError::FramedBy { origin } => {
                t_args("config.refused.framed-by", &[("origin", origin), ("setting", ALLOW_LIST_SETTING)])
            }
            DetectError::FramedByUnknown => t("config.refused.framed-by-unknown"),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for DetectError {}

impl DetectError {
    /// The origin that was refused, when there is one (the error screen names it).
    pub fn refused_origin(&self) -> Option<String> {
        match self {
            DetectError::Malformed { value, .. } => Some(value.clone()),
            DetectError::NotAllowed { origin } => Some(origin.to_string()),
            DetectError::FramedBy { origin } => Some(origin.clone()),
            DetectError::Ambiguous | DetectError::FramedByUnknown => None,
        }
    }
}

/// Decides the host from URL query parameters (names matched case-insensitively, as Salesforce
/// spells `sfdcIFrameOrigin` one way and its docs another).
pub fn detect(params: &[(String, String)], config: &Config) -> Result<Placement, DetectError> {
    let find = |name: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
    let top_domain = find("topDomain");
    let sfdc_origin = find("sfdcIframeOrigin");
    let (kind, (param, value)) = match (top_domain, sfdc_origin) {
        (Some(_), Some(_)) => return Err(DetectError::Ambiguous),
        (Some(p), None) => (HostKind::ServiceNow, p),
        (None, Some(p)) => (HostKind::SalesforceClassic, p),
        (None, None) => {
            return Ok(Placement { kind: HostKind::Standalone, origin: None, flavour_unknown: false });
        }
    };
    let origin = Origin::parse(value).map_err(|reason| DetectError::Malformed {
        param: param.clone(),
        value: value.clone(),
        reason,
    })?;
    if !config.allowed_origins.admits(&origin) {
        return Err(DetectError::NotAllowed { origin });
    }
    if kind == HostKind::ServiceNow {
        return Ok(Placement { kind, origin: Some(origin), flavour_unknown: false });
    }
    let mode = find("mode").map(|(_, v)| v.as_str());
    let (kind, flavour_unknown) = match salesforce_flavour(&origin, mode, config.salesforce_mode) {
        Flavour::Lightning => (HostKind::SalesforceLightning, false),
        Flavour::Classic => (HostKind::SalesforceClassic, false),
        Flavour::Unknown => (HostKind::SalesforceClassic, true),
    };
    Ok(Placement { kind, origin: Some(origin), flavour_unknown })
}

/// Whether the page runs in a tab of its own or inside a frame, and what the browser says about
/// the pages around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `window.top` is the page itself.
    Top,
    /// Inside a frame.
    Framed {
        /// `location.ancestorOrigins`, parent first, where the browser has it (Chromium, Safari).
        ancestor_origins: Option<Vec<String>>,
        /// `document.referrer`: the embedding page's address, or empty when its policy hides it.
        referrer: String,
    },
}

/// Decides whether the pop-out view (no host parameter) may run where it is. In a tab of its
/// own it always may; inside a frame, only when every embedding page is in the allow-list.
/// Otherwise any page could frame it and use a remembered sign-in: this check holds even where
/// the deployment serves no `frame-ancestors` policy. An embedder the browser does not name
/// (no `ancestorOrigins`, no referrer) is refused, as is an opaque (`null`) origin.
pub fn check_standalone_framing(framing: &Framing, config: &Config) -> Result<(), DetectError> {
    let Framing::Framed { ancestor_origins, referrer } = framing else {
        return Ok(());
    };
    let embedders: Vec<String> = match ancestor_origins {
        Some(list) if !list.is_empty() => list.clone(),
        _ => match referrer_origin(referrer) {
            Some(origin) => vec![origin],
            None => return Err(DetectError::FramedByUnknown),
        },
    };
    for embedder in embedders {
        let admitted = Origin::parse(&embedder).is_ok_and(|origin| config.allowed_origins.admits(&origin));
        if !admitted {
            // Browsers serialise origins, but a referrer of another shape is shown too: cleaned.
            return Err(DetectError::FramedBy { origin: crate::display_name::clean(&embedder) });
        }
    }
    Ok(())
}

/// The origin part (`scheme://host[:port]`) of a referrer URL; `None` for an empty one.
fn referrer_origin(referrer: &str) -> Option<String> {
    let referrer = referrer.trim();
    if referrer.is_empty() {
        return None;
    }
    let Some((scheme, rest)) = referrer.split_once("://") else {
        // `about:srcdoc`, `data:`…: no origin to trust.
        return Some(referrer.chars().take(100).collect());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(
            r#"{"sip":{"domain":"d.test","servers":["wss://s.test"]},
                "hosts":{"allowedOrigins":["https://acme.service-now.com","https://*.crm.example.com","https://acme.lightning.force.com","http://127.0.0.1:8781"]}}"#,
        )
        .unwrap()
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn no_host_parameter_means_standalone() {
        let placement = detect(&params(&[("foo", "bar")]), &config()).unwrap();
        assert_eq!(placement, Placement { kind: HostKind::Standalone, origin: None, flavour_unknown: false });
    }

    #[test]
    fn servicenow_from_top_domain() {
        let placement = detect(&params(&[("topDomain", "https://acme.service-now.com")]), &config()).unwrap();
        assert_eq!(placement.kind, HostKind::ServiceNow);
        assert_eq!(placement.origin.unwrap().to_string(), "https://acme.service-now.com");
        let bare = detect(&params(&[("TOPDOMAIN", "acme.service-now.com")]), &config()).unwrap();
        assert_eq!(bare.origin.unwrap().to_string(), "https://acme.service-now.com");
    }

    fn flavour(origin: &str, mode: Option<&str>, overridden: Option<SalesforceMode>) -> Flavour {
        salesforce_flavour(&Origin::parse(origin).unwrap(), mode, overridden)
    }

    #[test]
    fn the_salesforce_origin_tells_lightning_from_classic() {
        for lightning in ["https://acme.lightning.force.com", "https://acme--uat.sandbox.lightning.force.com"] {
            assert_eq!(flavour(lightning, None, None), Flavour::Lightning, "{lightning}");
            // The origin outweighs the undocumented parameter.
            assert_eq!(flavour(lightning, Some("Classic"), None), Flavour::Lightning, "{lightning}");
        }
        for classic in
            ["https://acme.my.salesforce.com", "https://na1.salesforce.com", "https://c.na1.visual.force.com"]
        {
            assert_eq!(flavour(classic, None, None), Flavour::Classic, "{classic}");
            assert_eq!(flavour(classic, Some("Lightning"), None), Flavour::Classic, "{classic}");
        }
        // Lookalikes are not Salesforce's domains.
        assert_eq!(flavour("https://lightning.force.com.evil.test", None, None), Flavour::Unknown);
        assert_eq!(flavour("https://acmelightning.force.com", None, None), Flavour::Classic);
    }

    #[test]
    fn elsewhere_the_mode_parameter_then_nothing() {
        assert_eq!(flavour("https://crm.example.com", Some("LIGHTNING"), None), Flavour::Lightning);
        assert_eq!(flavour("https://crm.example.com", Some("classic"), None), Flavour::Unknown);
        assert_eq!(flavour("http://127.0.0.1:8781", None, None), Flavour::Unknown);
    }

    #[test]
    fn the_configuration_overrides_everything() {
        let classic = Some(SalesforceMode::Classic);
        let lightning = Some(SalesforceMode::Lightning);
        assert_eq!(flavour("https://acme.lightning.force.com", None, classic), Flavour::Classic);
        assert_eq!(flavour("https://acme.my.salesforce.com", Some("Lightning"), lightning), Flavour::Lightning);
        assert_eq!(flavour("http://127.0.0.1:8781", None, classic), Flavour::Classic);
    }

    #[test]
    fn detect_settles_what_it_can_and_marks_the_rest() {
        let by_origin =
            detect(&params(&[("sfdcIFrameOrigin", "https://acme.lightning.force.com")]), &config()).unwrap();
        assert_eq!((by_origin.kind, by_origin.flavour_unknown), (HostKind::SalesforceLightning, false));
        let loopback = params(&[("sfdcIFrameOrigin", "http://127.0.0.1:8781"), ("sfdcIFrameHost", "web")]);
        let unknown = detect(&loopback, &config()).unwrap();
        assert_eq!((unknown.kind, unknown.flavour_unknown), (HostKind::SalesforceClassic, true));
        let hinted = params(&[("sfdciframeorigin", "http://127.0.0.1:8781"), ("MODE", "lightning")]);
        assert_eq!(detect(&hinted, &config()).unwrap().kind, HostKind::SalesforceLightning);
        let mut lightning_default = config();
        lightning_default.salesforce_mode = Some(SalesforceMode::Lightning);
        let overridden = detect(&loopback, &lightning_default).unwrap();
        assert_eq!((overridden.kind, overridden.flavour_unknown), (HostKind::SalesforceLightning, false));
        let mut classic_set = config();
        classic_set.salesforce_mode = Some(SalesforceMode::Classic);
        let lightning_origin = params(&[("sfdcIFrameOrigin", "https://acme.lightning.force.com")]);
        assert_eq!(detect(&lightning_origin, &classic_set).unwrap().kind, HostKind::SalesforceClassic);
        let servicenow = detect(&params(&[("topDomain", "https://acme.service-now.com")]), &lightning_default).unwrap();
        assert_eq!((servicenow.kind, servicenow.flavour_unknown), (HostKind::ServiceNow, false));
    }

    #[test]
    fn origins_outside_the_allow_list_are_refused() {
        let error = detect(&params(&[("topDomain", "https://evil.test")]), &config()).unwrap_err();
        assert_eq!(error.refused_origin().as_deref(), Some("https://evil.test"));
        assert!(error.to_string().contains("hosts.allowedOrigins"));
        for lookalike in [
            "https://acme.service-now.com.evil.test",
            "https://service-now.com",
            "http://acme.service-now.com:443",
            "http://127.0.0.1:8782",
        ] {
            assert!(detect(&params(&[("topDomain", lookalike)]), &config()).is_err(), "{lookalike}");
        }
    }

    #[test]
    fn malformed_origins_are_refused_with_the_reason() {
        let error = detect(&params(&[("sfdcIframeOrigin", "javascript:alert(1)")]), &config()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "The sfdcIframeOrigin parameter \"javascript:alert(1)\" must start with https://."
        );
        let error = detect(&params(&[("topDomain", "https://acme.service-now.com/evil")]), &config()).unwrap_err();
        assert!(matches!(error, DetectError::Malformed { reason: OriginError::NotBare, .. }));
    }

    fn framed(ancestors: Option<&[&str]>, referrer: &str) -> Framing {
        Framing::Framed {
            ancestor_origins: ancestors.map(|list| list.iter().map(|o| (*o).to_owned()).collect()),
            referrer: referrer.to_owned(),
        }
    }

    #[test]
    fn the_pop_out_in_its_own_tab_always_runs() {
        assert_eq!(check_standalone_framing(&Framing::Top, &config()), Ok(()));
    }

    #[test]
    fn the_pop_out_runs_in_a_frame_only_of_allowed_pages() {
        let allowed = framed(Some(&["https://acme.service-now.com"]), "");
        assert_eq!(check_standalone_framing(&allowed, &config()), Ok(()));
        let nested = framed(Some(&["https://eu.crm.example.com", "http://127.0.0.1:8781"]), "");
        assert_eq!(check_standalone_framing(&nested, &config()), Ok(()));
        for (ancestors, refused) in [
            (&["http://127.0.0.1:9999"][..], "http://127.0.0.1:9999"),
            (&["https://acme.service-now.com", "https://evil.test"][..], "https://evil.test"),
            (&["https://evil.test", "https://acme.service-now.com"][..], "https://evil.test"),
            (&["null"][..], "null"),
            (&["https://acme.service-now.com.evil.test"][..], "https://acme.service-now.com.evil.test"),
            (&["http://acme.service-now.com"][..], "http://acme.service-now.com"),
        ] {
            let error = check_standalone_framing(&framed(Some(ancestors), ""), &config()).unwrap_err();
            assert_eq!(error, DetectError::FramedBy { origin: refused.to_owned() }, "{ancestors:?}");
            assert_eq!(error.refused_origin().as_deref(), Some(refused));
            assert!(error.to_string().contains("not allowed to embed it"), "{error}");
        }
    }

    #[test]
    fn without_ancestor_origins_the_referrer_decides() {
        let allowed = framed(None, "https://acme.service-now.com/now/workspace/agent?x=1#y");
        assert_eq!(check_standalone_framing(&allowed, &config()), Ok(()));
        let empty_list = framed(Some(&[]), "http://127.0.0.1:8781/");
        assert_eq!(check_standalone_framing(&empty_list, &config()), Ok(()));
        assert_eq!(
            check_standalone_framing(&framed(None, "https://evil.test/page"), &config()),
            Err(DetectError::FramedBy { origin: "https://evil.test".into() })
        );
        assert_eq!(
            check_standalone_framing(&framed(None, "https://acme.service-now.com@evil.test/"), &config()),
            Err(DetectError::FramedBy { origin: "https://acme.service-now.com@evil.test".into() })
        );
        assert_eq!(
            check_standalone_framing(&framed(None, "about:srcdoc"), &config()),
            Err(DetectError::FramedBy { origin: "about:srcdoc".into() })
        );
        // A page that hides its address (Referrer-Policy: no-referrer) cannot be checked.
        assert_eq!(check_standalone_framing(&framed(None, ""), &config()), Err(DetectError::FramedByUnknown));
        assert_eq!(check_standalone_framing(&framed(Some(&[]), " "), &config()), Err(DetectError::FramedByUnknown));
    }

    #[test]
    fn both_hosts_at_once_is_ambiguous() {
        let both = params(&[
            ("topDomain", "https://a.service-now.com"),
            ("sfdcIframeOrigin", "https://acme.lightning.force.com"),
        ]);
        assert_eq!(detect(&both, &config()), Err(DetectError::Ambiguous));
    }
}
