//! Who a verified sign-in is: the person of the tenant whose username is the NameID, or, with
//! just-in-time provisioning, a new one copied from the template person (their role), named
//! from `FirstName` and `LastName`, with `Email`, and for agents the SIP user of the settings'
//! attribute. New people have no local password.

use crate::database::begin_writing;
use sqlx::AnyPool;

use super::verifier::Login;
use super::{Scope, Settings};
use crate::people::{self, Person, Role};
use crate::{audit, clock, random};

/// Why a verified sign-in signs no one in; the text is shown on the sign-in page.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// No such person, and no just-in-time provisioning.
    #[error(
        "{0} is not a person of this contact center, and just-in-time provisioning is off: an administrator adds them first"
    )]
    Unknown(String),
    /// The person exists, with the other role.
    #[error("{username} is {role}: this sign-in is for {scope}")]
    WrongRole {
        /// Who.
        username: String,
        /// Their role.
        role: &'static str,
        /// The scope's people.
        scope: &'static str,
    },
    /// The template named in the settings is not a person of the tenant (or of the scope's role).
    #[error(
        "the template person {0:?} of the single sign-on settings does not exist (or has the other role): an administrator corrects the settings"
    )]
    NoTemplate(String),
    /// The NameID cannot be a username.
    #[error("the identity provider's NameID {0:?} cannot be a username here (1 to 64 letters, digits or . _ - @ +)")]
    BadName(String),
    /// A new agent without a SIP user.
    #[error("the identity provider sent no usable {attribute} attribute for the new agent {username} (their SIP user)")]
    NoSipUser {
        /// The attribute.
        attribute: String,
        /// Who.
        username: String,
    },
    /// The SIP user is someone else's.
    #[error("SIP user {sip_user} for the new agent {username} is already another person's")]
    SipUserTaken {
        /// The SIP user.
        sip_user: String,
        /// Who.
        username: String,
    },
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn role_of(scope: Scope) -> Role {
    match scope {
        Scope::Agents => Role::Agent,
        Scope::Admins => Role::Admin,
    }
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::Agent => "an agent",
        Role::Admin => "an administrator",
    }
}

/// The person `login` signs in to `scope` of `tenant`, created when the settings allow; whether
/// they were created now.
pub async fn person_for(
    pool: &AnyPool,
    tenant: &str,
    scope: Scope,
    settings: &Settings,
    login: &Login,
) -> Result<(Person, bool), ProvisionError> {
    let wanted = role_of(scope);
    let username = login.name_id.clone();
    let scope_text = if scope == Scope::Agents { "agents" } else { "administrators" };
    match people::by_username(pool, &username).await? {
        Some((person, _)) if person.tenant_id == tenant => {
            if person.role != wanted {
                return Err(ProvisionError::WrongRole { username, role: role_text(person.role), scope: scope_text });
            }
            return Ok((person, false));
        }
        // Usernames are unique across the service: another tenant's is no one here, and the
        // answer says nothing of the other tenant.
        Some(_) => return Err(ProvisionError::Unknown(username)),
        None => {}
    }
    if !settings.jit {
        return Err(ProvisionError::Unknown(username));
    }
    if people::name_refusal("username", &username).is_some() {
        return Err(ProvisionError::BadName(username));
    }
    let template_name = settings.template_user.clone().unwrap_or_default();
    let template = people::by_username(pool, &template_name)
        .await?
        .map(|(p, _)| p)
        .filter(|p| p.tenant_id == tenant && p.role == wanted)
        .ok_or(ProvisionError::NoTemplate(template_name))?;
    let sip_user = match template.role {
        Role::Admin => None,
        Role::Agent => {
            let attribute = &settings.sip_user_attribute;
            let sip_user = login
                .attribute(attribute)
                .map(str::trim)
                .filter(|s| people::name_refusal("SIP user", s).is_none())
                .ok_or_else(|| ProvisionError::NoSipUser {
                    attribute: attribute.clone(),
                    username: username.clone(),
                })?;
            Some(sip_user.to_owned())
        }
    };
    let display_name = [login.attribute("FirstName"), login.attribute("LastName")]
        .into_iter()
        .flatten()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let display_name =
        if display_name.is_empty() { username.clone() } else { display_name.chars().take(200).collect() };
    let email = login
        .attribute("Email")
        .or_else(|| login.attribute("emailaddress"))
        .map(|e| e.chars().take(320).collect::<String>());
    let id = random::id();
    let now = clock::now_ms();
    let mut tx = begin_writing(pool).await?;
    let inserted = sqlx::query(
        "INSERT INTO people (id, tenant_id, username, display_name, role, password_hash, sip_user, email, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(&username)
    .bind(&display_name)
    .bind(template.role.as_str())
    .bind(&sip_user)
    .bind(&email)
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(error) = inserted {
        // The one unique index a new person can meet here besides the username's.
        return Err(match sip_user {
            Some(sip_user) if error.as_database_error().is_some() => {
                ProvisionError::SipUserTaken { sip_user, username }
            }
            _ => ProvisionError::Database(error),
        });
    }
    let detail = format!("from template {}, {}", template.username, role_text(template.role));
    audit::record(&mut tx, tenant, &username, "person.jit-create", &username, &detail).await?;
    tx.commit().await?;
    let person = people::by_id(pool, tenant, &id).await?.ok_or(ProvisionError::Unknown(username))?;
    Ok((person, true))
}
