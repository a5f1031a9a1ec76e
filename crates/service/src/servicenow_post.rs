//! A call log posted to ServiceNow by the service, with the widget's own pure request builders
//! and answer readings (`framephone::activity::servicenow`): the row is looked up by Call-ID and
//! agent, then updated, or created when there is none, so that a retry never duplicates it.

use framephone::activity::CallLog;
use framephone::activity::outbox::PostOutcome;
use framephone::activity::servicenow::answer::{self, Answer};
use framephone::activity::servicenow::{Method, Request, phone_log};
use framephone::origin::Origin;

use crate::crm_request::{Received, receive};
use crate::outbox::Delivery;
use crate::secret::Secret;

impl Received {
    fn answer(&self) -> Answer<'_> {
        Answer { status: self.status, retry_after: self.retry_after.as_deref(), body: &self.body }
    }
}

async fn send(http: &reqwest::Client, token: &Secret, request: &Request) -> Result<Received, String> {
    let method = match request.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Patch => reqwest::Method::PATCH,
    };
    let mut builder = http.request(method, &request.url).header("accept", "application/json");
    if request.authorised {
        builder = builder.bearer_auth(token.expose());
    }
    if let Some(body) = &request.body {
        builder = builder.header("content-type", body.content_type()).body(body.text().to_owned());
    }
    receive(builder).await
}

/// Posts `log` on `instance`: an update of `crm_id` when it is known, else a lookup by Call-ID
/// and agent, then an update or a create.
pub async fn servicenow_post(
    http: &reqwest::Client,
    instance: &Origin,
    token: &Secret,
    log: &CallLog,
    crm_id: Option<String>,
) -> Delivery {
    let done = |outcome, crm_id| Delivery { outcome, crm_id, refused_token: None };
    let unknown = |reason: String| done(PostOutcome::Unknown(format!("{instance}: {reason}")), None);
    let mut known = crm_id;
    if known.is_none()
        && let Some(find) = phone_log::find_request(instance, log)
    {
        let found = match send(http, token, &find).await {
            Ok(found) => found,
            Err(reason) => return unknown(reason),
        };
        if !found.answer().is_success() {
            return done(answer::post_outcome(instance, &found.answer()), None);
        }
        match phone_log::found_row(&found.body) {
            Ok(row) => known = row,
            Err(reason) => return done(PostOutcome::Refused(reason), None),
        }
    }
    let request = match known.as_deref().and_then(|id| phone_log::update_request(instance, id, log)) {
        Some(update) => update,
        None => phone_log::create_request(instance, log),
    };
    match send(http, token, &request).await {
        Err(reason) => unknown(reason),
        Ok(received) => {
            let outcome = answer::post_outcome(instance, &received.answer());
            let created = serde_json::from_str::<serde_json::Value>(&received.body)
                .ok()
                .and_then(|v| v.pointer("/result/sys_id").and_then(|id| id.as_str()).map(str::to_owned));
            done(outcome, known.or(created))
        }
    }
}
