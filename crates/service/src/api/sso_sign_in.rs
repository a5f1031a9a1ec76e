//! Single sign-on's browser side: the service provider's metadata, the start of a sign-in (an
//! AuthnRequest to the IdP, its state kept here under an opaque RelayState), the reply URL where
//! the IdP posts its response, and the phone's claim of a finished sign-in.
//!
//! The phone's sign-in window (`/agent/sign-in`) links to `start` with the phone's origin and the
//! SHA-256 of a nonce only the phone holds. At the reply URL the verified agent's sign-in waits
//! under that hash; the page tells the phone by `postMessage` to its exact origin (no token in
//! the message), and the phone claims the bearer token with the nonce, also by polling when the
//! IdP's pages severed `window.opener`. Administrators get their session cookie at the reply URL.

use std::collections::HashMap;

use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::{agent_token_body, set_admin_cookie};
use super::error::{ApiError, ErrorBody};
use super::oauth_callback::escape;
use super::sso::{endpoint, scope_of};
use crate::sessions::{self, Kind};
use crate::sso::certificate::Certificate;
use crate::sso::provision::{self, ProvisionError};
use crate::sso::store::{self, Claim, Request};
use crate::sso::verifier::{Refusal, ServiceProviderFor};
use crate::sso::{Scope, Settings};
use crate::tenants::{self, Tenant};
use crate::{audit, clock, people, random};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'none'";
const SCRIPT: &str = include_str!("../../static/sso-done.js");

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
         <link rel=\"stylesheet\" href=\"/admin/admin.css\">\n</head>\n<body>\n<main>\n<section>\n{body}</section>\n\
         </main>\n</body>\n</html>\n",
        title = escape(title)
    );
    let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    crate::page_headers::guard(&mut response, CSP, "no-store");
    response
}

/// A page that says why a sign-in did not happen.
fn refused(status: StatusCode, why: &str) -> Response {
    page(status, "Not signed in", &format!("<h1>Not signed in</h1>\n<p role=\"alert\">{}</p>\n", escape(why)))
}

/// What a path names: the tenant, the scope, its settings and certificate, or a page saying why
/// not.
struct Configured {
    tenant: Tenant,
    scope: Scope,
    settings: Settings,
    provider: ServiceProviderFor,
}

async fn configured(state: &AppState, slug: &str, scope: &str) -> Result<Configured, Response> {
    let not_found = || refused(StatusCode::NOT_FOUND, "There is no single sign-on here: check the address.");
    let scope = scope_of(scope).map_err(|_| not_found())?;
    let tenant = match tenants::slug_refusal(slug) {
        Some(_) => None,
        None => tenants::by_slug(&state.db.pool, slug).await.ok().flatten(),
    };
    let tenant = tenant.ok_or_else(not_found)?;
    let stored = store::settings(&state.db.pool, &tenant.id, scope).await.ok().flatten().ok_or_else(not_found)?;
    let certificate = Certificate::parse(&stored.settings.idp_certificate).map_err(|_| {
        refused(
            StatusCode::CONFLICT,
            "Single sign-on has no identity provider certificate yet: an administrator adds it.",
        )
    })?;
    let (acs, metadata) = (endpoint(state, slug, scope, "acs"), endpoint(state, slug, scope, "metadata"));
    let provider = ServiceProviderFor::new(&stored.settings, &certificate, &acs, &metadata)
        .map_err(|e| refused(StatusCode::CONFLICT, &format!("The single sign-on settings are not usable: {e}.")))?;
    Ok(Configured { tenant, scope, settings: stored.settings, provider })
}

/// `GET /sso/{slug}/{scope}/metadata`: this service provider's SAML metadata.
#[utoipa::path(get, path = "/sso/{slug}/{scope}/metadata", tag = "single sign-on", summary = "The service provider's SAML metadata for the identity provider", params(("slug" = String, Path, description = "The tenant's slug"), ("scope" = String, Path, description = "agents or admins")), responses((status = 200, description = "SAML metadata (XML)"), (status = 404, description = "No such single sign-on")))]
pub async fn metadata(State(state): State<AppState>, Path((slug, scope)): Path<(String, String)>) -> Response {
    let configured = match configured(&state, &slug, &scope).await {
        Ok(configured) => configured,
        Err(page) => return page,
    };
    match configured.provider.metadata() {
        Ok(xml) => ([(header::CONTENT_TYPE, "application/samlmetadata+xml")], xml).into_response(),
        Err(error) => refused(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

/// `GET /sso/{slug}/{scope}/start`: sends the browser to the IdP. Agents: `origin` (the phone's)
/// and `nonce_hash`; an administrator's Test sign-in: `test=1` with the admin session.
#[utoipa::path(get, path = "/sso/{slug}/{scope}/start", tag = "single sign-on", summary = "Starts a single sign-on at the identity provider", params(("slug" = String, Path, description = "The tenant's slug"), ("scope" = String, Path, description = "agents or admins"), ("origin" = Option<String>, Query, description = "Agents: the phone's origin"), ("nonce_hash" = Option<String>, Query, description = "Agents: base64url SHA-256 of the phone's nonce"), ("test" = Option<String>, Query, description = "1: an administrator's Test sign-in")), responses((status = 303, description = "To the identity provider"), (status = "4XX", description = "A page saying why not")))]
pub async fn start(
    State(state): State<AppState>,
    Path((slug, scope)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let configured = match configured(&state, &slug, &scope).await {
        Ok(configured) => configured,
        Err(page) => return page,
    };
    let test = query.get("test").is_some_and(|t| t == "1");
    if test {
        let admin = super::auth::admin_of_cookie(&state, &headers).await;
        if admin.is_none_or(|a| a.tenant_id != configured.tenant.id) {
            return refused(
                StatusCode::FORBIDDEN,
                "Test sign-in is for this contact center's administrators: sign in to the admin UI first.",
            );
        }
    } else if !configured.settings.enabled {
        return refused(
            StatusCode::CONFLICT,
            "Single sign-on is turned off: an administrator turns it on, or you sign in with your password.",
        );
    }
    let (mut widget_origin, mut nonce_hash) = (None, None);
    if configured.scope == Scope::Agents && !test {
        let origin = query.get("origin").map(String::as_str).unwrap_or("");
        if !state.widget_origins.of_tenant(&state.db.pool, &configured.tenant.id, origin).await {
            return refused(
                StatusCode::BAD_REQUEST,
                "This sign-in must be started from your contact center's phone (choose Sign in there).",
            );
        }
        let hash = query.get("nonce_hash").map(String::as_str).unwrap_or("");
        if hash.len() != 43 || !hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return refused(
                StatusCode::BAD_REQUEST,
                "This sign-in was started without the phone's request: choose Sign in in the phone again.",
            );
        }
        (widget_origin, nonce_hash) = (Some(origin.to_owned()), Some(hash.to_owned()));
    }
    let relay_state = random::token();
    // An XML ID starts with a letter or an underscore; base64url's characters may follow.
    let request_id = format!("_{}", random::token());
    let request = Request {
        tenant_id: configured.tenant.id.clone(),
        scope: configured.scope,
        request_id: request_id.clone(),
        widget_origin,
        nonce_hash,
        test,
    };
    let url = match configured.provider.sign_in_url(&request_id, &relay_state) {
        Ok(url) => url,
        Err(error) => return refused(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    };
    if store::open_request(&state.db.pool, &random::token_hash(&relay_state), &request).await.is_err() {
        return refused(StatusCode::INTERNAL_SERVER_ERROR, "The service could not keep the request: try again.");
    }
    Redirect::to(&url).into_response()
}

/// The IdP's POST to the reply URL.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SamlPost {
    /// The response, base64.
    #[serde(rename = "SAMLResponse", default)]
    saml_response: String,
    /// The request's opaque state, as sent to the IdP.
    #[serde(rename = "RelayState", default)]
    relay_state: String,
}

/// `POST /sso/{slug}/{scope}/acs`: the reply URL (assertion consumer service).
#[utoipa::path(post, path = "/sso/{slug}/{scope}/acs", tag = "single sign-on", summary = "The reply URL: the identity provider posts its SAML response here", params(("slug" = String, Path, description = "The tenant's slug"), ("scope" = String, Path, description = "agents or admins")), responses((status = 200, description = "Signed in (a page)"), (status = "4XX", description = "A page saying why not")))]
pub async fn acs(
    State(state): State<AppState>,
    Path((slug, scope)): Path<(String, String)>,
    Form(post): Form<SamlPost>,
) -> Response {
    let configured = match configured(&state, &slug, &scope).await {
        Ok(configured) => configured,
        Err(page) => return page,
    };
    let tenant = configured.tenant.id.clone();
    // The request this answers, claimed once; an unasked response only where the settings allow.
    let request = match post.relay_state.is_empty() {
        true => None,
        false => match store::claim_request(&state.db.pool, &random::token_hash(&post.relay_state)).await {
            Ok(request) => request,
            Err(_) => {
                return refused(StatusCode::SERVICE_UNAVAILABLE, "The service could not read the sign-in: try again.");
            }
        },
    };
    let request = request.filter(|r| r.tenant_id == tenant && r.scope == configured.scope);
    if request.is_none() && !configured.settings.allow_idp_initiated {
        return refused(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started here, or took longer than 10 minutes: start it again from the phone or the admin UI.",
        );
    }
    let request_ids: Vec<String> = request.iter().map(|r| r.request_id.clone()).collect();
    let provider = configured.provider;
    let response = post.saml_response;
    let verified = tokio::task::spawn_blocking(move || {
        let ids: Vec<&str> = request_ids.iter().map(String::as_str).collect();
        provider.verify(&response, &ids)
    })
    .await
    .unwrap_or_else(|_| Err(Refusal::Malformed("the check failed".into())));
    let login = match verified {
        Ok(login) => login,
        Err(refusal) => return refused_login(&state, &tenant, configured.scope, request.as_ref(), &refusal).await,
    };
    match store::first_use(&state.db.pool, &tenant, &login.assertion_id, login.valid_until_ms).await {
        Ok(true) => {}
        Ok(false) => {
            return refused_login(&state, &tenant, configured.scope, request.as_ref(), &Refusal::Replayed).await;
        }
        Err(_) => {
            return refused(StatusCode::INTERNAL_SERVER_ERROR, "The service could not record the sign-in: try again.");
        }
    }
    if request.as_ref().is_some_and(|r| r.test) {
        return test_result(&state, &tenant, configured.scope, &login).await;
    }
    let (person, created) =
        match provision::person_for(&state.db.pool, &tenant, configured.scope, &configured.settings, &login).await {
            Ok(found) => found,
            Err(ProvisionError::Database(_)) => {
                return refused(StatusCode::INTERNAL_SERVER_ERROR, "The service could not sign you in: try again.");
            }
            Err(error) => {
                let _ = record(&state, &tenant, &login.name_id, "sso.refused", &error.to_string()).await;
                return refused_sign_in(&state, configured.scope, request.as_ref(), &error.to_string()).await;
            }
        };
    let how = if created { "signed in, created just in time" } else { "signed in" };
    let _ =
        record(&state, &tenant, &person.username, "sso.sign-in", &format!("{}: {how}", configured.scope.name())).await;
    match (configured.scope, request) {
        (Scope::Agents, Some(Request { nonce_hash: Some(nonce_hash), widget_origin: Some(origin), .. })) => {
            if store::finish_login(&state.db.pool, &nonce_hash, &person.id).await.is_err() {
                return refused(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The service could not finish the sign-in: try again.",
                );
            }
            let body = format!(
                "<h1>Signed in</h1>\n<p id=\"done\" role=\"status\" data-origin=\"{}\" data-nonce-hash=\"{}\">Signed in as {}. \
                 The phone continues; you can close this window.</p>\n<script type=\"module\" src=\"/sso/done.js\"></script>\n",
                escape(&origin),
                escape(&nonce_hash),
                escape(&person.display_name)
            );
            page(StatusCode::OK, "Signed in", &body)
        }
        (Scope::Agents, _) => refused(StatusCode::BAD_REQUEST, "Agents sign in from the phone: choose Sign in there."),
        (Scope::Admins, _) => {
            let Ok(issued) = sessions::start(&state.db.pool, &person, Kind::Admin, clock::now_ms()).await else {
                return refused(StatusCode::INTERNAL_SERVER_ERROR, "The service could not sign you in: try again.");
            };
            // A page of this origin moves on to the admin UI, so that the (SameSite=Strict)
            // cookie goes with that request, which a redirect from the IdP's POST would not send.
            let body = format!(
                "<h1>Signed in</h1>\n<p role=\"status\">Signed in as {}.</p>\n<p><a href=\"/admin/\">Open the admin UI</a></p>\n\
                 <script type=\"module\" src=\"/sso/done.js\"></script>\n",
                escape(&person.display_name)
            );
            let mut response = page(StatusCode::OK, "Signed in", &body);
            set_admin_cookie(&state, &mut response, &issued);
            response
        }
    }
}

async fn record(state: &AppState, tenant: &str, actor: &str, action: &str, detail: &str) -> Result<(), sqlx::Error> {
    let mut conn = state.db.pool.acquire().await?;
    audit::record(&mut conn, tenant, actor, action, actor, detail).await
}

/// A refused response: its reason in the audit log, on the page and for the phone's claim.
async fn refused_login(
    state: &AppState,
    tenant: &str,
    scope: Scope,
    request: Option<&Request>,
    refusal: &Refusal,
) -> Response {
    let _ = record(state, tenant, "identity provider", "sso.refused", &format!("{}: {refusal}", scope.name())).await;
    refused_sign_in(state, scope, request, &format!("the identity provider's answer was refused: {refusal}")).await
}

/// The page of a refused sign-in; for the phone's request, the refusal waits for its claim and
/// the page tells the phone at once (as a finished sign-in does), so that the phone says why; an
/// administrator gets the way back to the admin UI's sign-in.
async fn refused_sign_in(state: &AppState, scope: Scope, request: Option<&Request>, why: &str) -> Response {
    let phone = request.and_then(|r| Some((r.nonce_hash.as_ref()?, r.widget_origin.as_ref()?)));
    let Some((nonce_hash, origin)) = phone else {
        let back =
            if scope == Scope::Admins { "<p><a href=\"/admin/\">Back to the admin UI's sign-in</a></p>\n" } else { "" };
        let body = format!("<h1>Not signed in</h1>\n<p role=\"alert\">{}.</p>\n{back}", escape(why));
        return page(StatusCode::FORBIDDEN, "Not signed in", &body);
    };
    let _ = store::refuse_login(&state.db.pool, nonce_hash, why).await;
    let body = format!(
        "<h1>Not signed in</h1>\n<p role=\"alert\">{}.</p>\n<p id=\"done\" hidden data-origin=\"{}\" data-nonce-hash=\"{}\"></p>\n\
         <script type=\"module\" src=\"/sso/done.js\"></script>\n",
        escape(why),
        escape(origin),
        escape(nonce_hash)
    );
    page(StatusCode::FORBIDDEN, "Not signed in", &body)
}

/// What a Test sign-in received, signing no one in.
async fn test_result(state: &AppState, tenant: &str, scope: Scope, login: &crate::sso::verifier::Login) -> Response {
    let known =
        people::by_username(&state.db.pool, &login.name_id).await.ok().flatten().filter(|(p, _)| p.tenant_id == tenant);
    let who = match known {
        Some((person, _)) => format!("{} is {} ({:?}).", login.name_id, person.display_name, person.role),
        None => {
            format!("{} is not a person here yet (just-in-time provisioning would create them if on).", login.name_id)
        }
    };
    let rows: String = login
        .attributes
        .iter()
        .map(|(name, values)| {
            format!("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", escape(name), escape(&values.join(", ")))
        })
        .collect();
    let _ =
        record(state, tenant, &login.name_id, "sso.test", &format!("{}: test sign-in verified", scope.name())).await;
    let body = format!(
        "<h1>Test sign-in: verified</h1>\n<p role=\"status\">The identity provider's response passed every check. NameID: \
         <strong>{}</strong>. {}</p>\n<table>\n<caption>Attributes received</caption>\n{rows}</table>\n",
        escape(&login.name_id),
        escape(&who)
    );
    page(StatusCode::OK, "Test sign-in", &body)
}

/// `GET /sso/done.js`: the signed-in page's script.
pub async fn script() -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response();
    crate::page_headers::guard(&mut response, CSP, "no-store");
    response
}

/// `POST /api/agent/sso/claim`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// The nonce whose SHA-256 the phone sent to `start`.
    nonce: String,
}

/// `POST /api/agent/sso/claim`: the phone's bearer token once the agent signed in at the IdP.
#[utoipa::path(post, path = "/api/agent/sso/claim", tag = "single sign-on", summary = "The phone claims the token of a finished single sign-on", request_body = ClaimRequest, responses((status = 200, description = "Signed in: the bearer token", body = Object), (status = 202, description = "Still at the identity provider", body = Object), (status = 403, description = "The sign-in was refused: the body says why", body = ErrorBody), (status = 404, description = "No sign-in under way for this nonce", body = ErrorBody)))]
pub async fn claim(State(state): State<AppState>, Json(request): Json<ClaimRequest>) -> Result<Response, ApiError> {
    if request.nonce.len() < 32 || request.nonce.len() > 128 {
        return Err(ApiError::NotFound("no single sign-on is under way for this request".into()));
    }
    match store::claim_login(&state.db.pool, &random::token_hash(&request.nonce)).await? {
        Claim::Unknown => Err(ApiError::NotFound("no single sign-on is under way for this request".into())),
        Claim::Pending => Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "status": "pending" }))).into_response()),
        Claim::Refused(reason) => Err(ApiError::Forbidden(reason)),
        Claim::Done(person_id) => {
            let person = people::by_id_anywhere(&state.db.pool, &person_id).await?.ok_or(ApiError::Unauthenticated)?;
            let issued = sessions::start(&state.db.pool, &person, Kind::Agent, clock::now_ms()).await?;
            Ok(Json(agent_token_body(&person, &issued)).into_response())
        }
    }
}
