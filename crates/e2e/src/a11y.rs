//! Finding elements as assistive technology sees them: by ARIA role and accessible name, using
//! WebDriver's "Get Computed Role" and "Get Computed Label", which Chromium answers from its
//! accessibility tree.

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, Locator};
use http::Method;
use url::{ParseError, Url};

#[derive(Debug)]
struct Computed {
    element: String,
    property: &'static str,
}

impl WebDriverCompatibleCommand for Computed {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, ParseError> {
        let session = session.unwrap_or_default();
        base.join(&format!("session/{session}/element/{}/{}", self.element, self.property))
    }

    fn method_and_body(&self, _url: &Url) -> (Method, Option<String>) {
        (Method::GET, None)
    }
}

async fn computed(client: &Client, element: &Element, property: &'static str) -> Option<String> {
    let command = Computed { element: element.element_id().as_ref().to_owned(), property };
    client.issue_cmd(command).await.ok()?.as_str().map(str::to_owned)
}

/// CSS that narrows the search to elements that can have `role`; the computed role decides.
fn candidates(role: &str) -> &'static str {
    match role {
        "button" => "button, [role=button], input[type=button], input[type=submit]",
        "tab" => "[role=tab]",
        "tablist" => "[role=tablist]",
        "tabpanel" => "[role=tabpanel]",
        "textbox" => "input, textarea, [role=textbox]",
        "searchbox" => "input[type=search], [role=searchbox]",
        "link" => "a[href], [role=link]",
        "status" => "[role=status], output",
        "alert" => "[role=alert]",
        "alertdialog" => "[role=alertdialog]",
        "heading" => "h1, h2, h3, h4, h5, h6, [role=heading]",
        "combobox" => "select, input[list], [role=combobox]",
        "checkbox" => "input[type=checkbox], [role=checkbox]",
        "meter" => "meter, [role=meter]",
        "list" => "ul, ol, [role=list]",
        "log" => "[role=log]",
        "region" => "section, [role=region]",
        "group" => "[role=group], fieldset",
        _ => "*",
    }
}

/// The element with this role whose accessible name is `name`, in the current frame.
pub async fn by_role(client: &Client, role: &str, name: &str) -> Result<Element, String> {
    let elements = client.find_all(Locator::Css(candidates(role))).await.map_err(|e| e.to_string())?;
    let mut seen = Vec::new();
    for element in elements {
        if computed(client, &element, "computedrole").await.as_deref() != Some(role) {
            continue;
        }
        let label = computed(client, &element, "computedlabel").await.unwrap_or_default();
        if label.trim() == name {
            return Ok(element);
        }
        seen.push(label);
    }
    Err(format!("no {role} named {name:?}; {role}s present: {seen:?}"))
}

/// Every element with this role in the current frame, whatever its name, in document order.
pub async fn all_by_role(client: &Client, role: &str) -> Result<Vec<Element>, String> {
    let elements = client.find_all(Locator::Css(candidates(role))).await.map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    for element in elements {
        if computed(client, &element, "computedrole").await.as_deref() == Some(role) {
            found.push(element);
        }
    }
    Ok(found)
}

/// Waits up to `timeout` for [`by_role`] to find the element.
pub async fn wait_for_role(client: &Client, role: &str, name: &str, timeout: Duration) -> Result<Element, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match by_role(client, role, name).await {
            Ok(element) => return Ok(element),
            Err(error) if Instant::now() >= deadline => return Err(error),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The first element with this role whose accessible name starts with `prefix`, in the
/// current frame (names that carry a state: "Call with Ana Díaz, on hold").
pub async fn by_role_starting(client: &Client, role: &str, prefix: &str) -> Result<Element, String> {
    let mut seen = Vec::new();
    for element in all_by_role(client, role).await? {
        let label = computed(client, &element, "computedlabel").await.unwrap_or_default();
        if label.trim_start().starts_with(prefix) {
            return Ok(element);
        }
        seen.push(label);
    }
    Err(format!("no {role} named {prefix:?}…; {role}s present: {seen:?}"))
}

/// The accessible name the browser computes for `element`.
pub async fn accessible_name(client: &Client, element: &Element) -> Option<String> {
    computed(client, element, "computedlabel").await
}

/// The ARIA role the browser computes for `element`.
pub async fn computed_role(client: &Client, element: &Element) -> Option<String> {
    computed(client, element, "computedrole").await
}
