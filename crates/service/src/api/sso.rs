//! The administrator's single sign-on settings, per scope: checked field by field, the
//! certificate described by its fingerprint and expiry (warned 30 days ahead), and the
//! addresses the identity provider's administrator needs (reply URL, entity id, metadata).

use crate::database::begin_writing;
use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::AppState;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody};
use crate::accounts::FieldError;
use crate::people::{self, Role};
use crate::sso::certificate::Certificate;
use crate::sso::verifier::ServiceProviderFor;
use crate::sso::{self, Scope, Settings, store};
use crate::{audit, clock, tenants};

/// Where the IdP and browsers reach a scope's endpoints: `<public URL>/sso/<slug>/<scope>/…`.
pub fn endpoint(state: &AppState, slug: &str, scope: Scope, what: &str) -> String {
    format!("{}/sso/{slug}/{}/{what}", state.public_url.trim_end_matches('/'), scope.name())
}

pub(super) fn scope_of(path: &str) -> Result<Scope, ApiError> {
    Scope::parse(path).ok_or_else(|| ApiError::NotFound("single sign-on scopes are \"agents\" and \"admins\"".into()))
}

/// A scope's settings as the admin UI shows them.
fn view(state: &AppState, slug: &str, scope: Scope, stored: Option<store::Stored>) -> Value {
    let addresses = json!({
        "replyUrl": endpoint(state, slug, scope, "acs"),
        "metadataUrl": endpoint(state, slug, scope, "metadata"),
        "signInUrl": endpoint(state, slug, scope, "start"),
        "defaultSpEntityId": format!("{slug}_{}_sso", scope.name()),
    });
    let Some(stored) = stored else { return json!({ "settings": Value::Null, "addresses": addresses }) };
    let certificate = Certificate::parse(&stored.settings.idp_certificate).ok().map(|c| {
        let mut summary = serde_json::to_value(&c.summary).unwrap_or_default();
        summary["expiresSoon"] = c.summary.expires_soon(clock::now_ms()).into();
        summary["notAfterText"] = clock::rfc3339(c.summary.not_after).into();
        summary
    });
    json!({
        "settings": stored.settings, "certificate": certificate, "addresses": addresses,
        "updatedAt": clock::rfc3339(stored.updated_at),
    })
}

/// `GET /api/tenant/sso`: both scopes' settings.
#[utoipa::path(get, path = "/api/tenant/sso", tag = "single sign-on", summary = "The tenant's single sign-on settings, both scopes", responses((status = 200, description = "{agents, admins}: each {settings, certificate, addresses}", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [])))]
pub async fn read(State(state): State<AppState>, Admin(admin): Admin) -> Result<Json<Value>, ApiError> {
    let tenant = tenants::by_id(&state.db.pool, &admin.tenant_id).await?.ok_or(ApiError::Internal("tenant"))?;
    let mut body = json!({});
    for scope in [Scope::Agents, Scope::Admins] {
        let stored = store::settings(&state.db.pool, &tenant.id, scope).await?;
        body[scope.name()] = view(&state, &tenant.slug, scope, stored);
    }
    Ok(Json(body))
}

/// `PUT /api/tenant/sso/{scope}`: replaces a scope's settings. Enabling needs a certificate.
#[utoipa::path(put, path = "/api/tenant/sso/{scope}", tag = "single sign-on", summary = "Replaces a scope's single sign-on settings", params(("scope" = String, Path, description = "agents or admins")), request_body = Settings, responses((status = 200, description = "{settings, certificate, addresses}", body = Object), (status = "4XX", description = "Refused: the body says why (the field at fault)", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn save(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(scope): Path<String>,
    Json(settings): Json<Settings>,
) -> Result<Json<Value>, ApiError> {
    let scope = scope_of(&scope)?;
    let tenant = tenants::by_id(&state.db.pool, &admin.tenant_id).await?.ok_or(ApiError::Internal("tenant"))?;
    sso::check(scope, &settings)?;
    let certificate = match Certificate::parse(&settings.idp_certificate) {
        Ok(certificate) => Some(certificate),
        Err(refusal) if settings.enabled || !settings.idp_certificate.trim().is_empty() => return Err(refusal.into()),
        Err(_) => None,
    };
    if let Some(template) = settings.template_user.as_deref().filter(|t| !t.is_empty()) {
        let wanted = if scope == Scope::Agents { Role::Agent } else { Role::Admin };
        let found = people::by_username(&state.db.pool, template).await?.map(|(p, _)| p);
        if !found.is_some_and(|p| p.tenant_id == tenant.id && p.role == wanted) {
            let role = if scope == Scope::Agents { "an agent" } else { "an administrator" };
            return Err(
                FieldError::new("templateUser", format!("{template:?} is not {role} of this contact center")).into()
            );
        }
    }
    if let Some(certificate) = &certificate {
        // The settings must make a service provider samael accepts before they are kept.
        let acs = endpoint(&state, &tenant.slug, scope, "acs");
        ServiceProviderFor::new(&settings, certificate, &acs, &endpoint(&state, &tenant.slug, scope, "metadata"))
            .map_err(|e| FieldError::new("settings", e.to_string()))?;
    }
    let mut tx = begin_writing(&state.db.pool).await?;
    store::save(&mut tx, &tenant.id, scope, &settings).await?;
    let detail = format!(
        "{}; issuer {}; certificate {}; just-in-time {}",
        if settings.enabled { "enabled" } else { "disabled" },
        settings.idp_entity_id,
        certificate.as_ref().map_or("none", |c| c.summary.fingerprint_sha256.as_str()),
        if settings.jit { "on" } else { "off" },
    );
    audit::record(&mut tx, &tenant.id, &admin.username, "tenant.sso", scope.name(), &detail).await?;
    tx.commit().await?;
    let stored = store::settings(&state.db.pool, &tenant.id, scope).await?;
    Ok(Json(view(&state, &tenant.slug, scope, stored)))
}
