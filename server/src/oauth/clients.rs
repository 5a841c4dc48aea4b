//! OAuth clients: registered apps as the authorization server sees them, and
//! client authentication (HTTP Basic or the request body).
use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use subtle::ConstantTimeEq;

use super::{grants::DataAccessType, scopes::ScopeSet, OAuthError};
use crate::{
    audit::{self, AuditContext, AuditRecord},
    entities::application,
    environment::Environment,
    ids::ApplicationId,
    oauth::redirect_uri::RedirectUri,
    secrets::Secret,
};

/// Confidential clients keep a secret; public ones (browser, mobile) cannot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    Confidential,
    Public,
}

/// The grant an app registered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    Implicit,
}

/// A registered, active app.
#[derive(Clone, Debug)]
pub struct ClientApp {
    pub id: ApplicationId,
    pub client_id: String,
    pub name: String,
    pub environment: Environment,
    pub client_type: ClientType,
    pub grant_type: GrantType,
    pub redirect_uris: Vec<RedirectUri>,
    pub allowed_scopes: ScopeSet,
    pub data_access_type: DataAccessType,
    pub website_url: String,
    pub privacy_policy_url: String,
    pub terms_url: String,
    secret_hash: String,
    /// The secret being retired, while its grace period lasts.
    retiring_secret: Option<(String, DateTime<Utc>)>,
}

impl ClientApp {
    pub fn from_model(m: application::Model) -> Self {
        let environment = Environment::parse(&m.environment).unwrap_or(Environment::Sandbox);
        Self {
            id: ApplicationId(m.id),
            client_type: if m.client_type == "public" {
                ClientType::Public
            } else {
                ClientType::Confidential
            },
            grant_type: if m.grant_type == "implicit" {
                GrantType::Implicit
            } else {
                GrantType::AuthorizationCode
            },
            // Stored values were parsed at registration; re-parsing cannot fail for them.
            redirect_uris: m
                .redirect_uris
                .lines()
                .filter_map(|u| RedirectUri::parse(u, environment).ok())
                .collect(),
            allowed_scopes: ScopeSet::for_app(m.requires_demographics),
            data_access_type: DataAccessType::parse(&m.data_access_type)
                .unwrap_or(DataAccessType::ThirteenMonth),
            client_id: m.client_id,
            name: m.name,
            environment,
            website_url: m.website_url,
            privacy_policy_url: m.privacy_policy_url,
            terms_url: m.terms_url,
            secret_hash: m.secret_hash,
            retiring_secret: m.previous_secret_hash.zip(m.previous_secret_expires_at),
        }
    }

    /// The registered redirect URI equal to `presented`, compared as whole strings.
    pub fn registered_redirect(&self, presented: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|u| u.matches(presented))
    }

    /// The current secret, or the one a rotation is retiring until its grace period ends.
    fn secret_matches(&self, presented: &str, now: DateTime<Utc>) -> bool {
        let digest = Secret::from_presented(presented).digest();
        let digest = digest.as_str().as_bytes();
        let current = bool::from(digest.ct_eq(self.secret_hash.as_bytes()));
        let retiring = self
            .retiring_secret
            .as_ref()
            .is_some_and(|(hash, until)| now < *until && bool::from(digest.ct_eq(hash.as_bytes())));
        current | retiring
    }
}

/// An active app of `environment` with this client id.
pub async fn find(
    db: &impl ConnectionTrait,
    environment: Environment,
    client_id: &str,
) -> Result<Option<ClientApp>, DbErr> {
    // No client id has a NUL, and PostgreSQL refuses one in text: an
    // error here would be a 500 for a made-up id (a Basic header can carry it).
    if client_id.contains('\0') {
        return Ok(None);
    }
    Ok(application::Entity::find()
        .filter(application::Column::ClientId.eq(client_id))
        .filter(application::Column::Environment.eq(environment.as_str()))
        .filter(application::Column::Active.eq(true))
        .one(db)
        .await?
        .map(ClientApp::from_model))
}

/// Client credentials as presented on the token, revoke or introspect endpoint.
#[derive(Clone, Debug, Default)]
pub struct PresentedClient {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// True when they came in an `Authorization: Basic` header.
    pub via_basic: bool,
}

impl PresentedClient {
    /// Reads `Authorization: Basic` (RFC 6749 §2.3.1: both parts form-urlencoded)
    /// and the body's `client_id` / `client_secret`. Any other Authorization
    /// scheme (a stray `Bearer`, say) is ignored.
    pub fn from_request(
        authorization: Option<&str>,
        body_client_id: Option<&str>,
        body_secret: Option<&str>,
    ) -> Result<Self, OAuthError> {
        let basic = authorization
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .map(|(_, value)| value.trim());
        if let Some(encoded) = basic {
            let decoded = STANDARD
                .decode(encoded)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(OAuthError::invalid_client)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(OAuthError::invalid_client)?;
            let unescape = |s: &str| -> String {
                url::form_urlencoded::parse(format!("v={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let (id, secret) = (unescape(id), unescape(secret));
            if body_client_id.is_some_and(|body| body != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Authorization header",
                ));
            }
            return Ok(Self {
                client_id: Some(id),
                client_secret: Some(secret),
                via_basic: true,
            });
        }
        Ok(Self {
            client_id: body_client_id.map(str::to_string),
            client_secret: body_secret.map(str::to_string),
            via_basic: false,
        })
    }
}

/// Authenticates the calling app: confidential clients must prove their
/// secret; public clients identify themselves by client id (and prove
/// possession with PKCE).
///
/// A failure against a registered app is audited while `within_audit_budget`
/// allows it for that app, so that anyone can't grow the audit trail without
/// bound by guessing; the rest, and every failure for a client id that
/// names no app (attacker-chosen text with nothing to attach it to), are
/// only logged.
pub async fn authenticate(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    environment: Environment,
    presented: &PresentedClient,
    now: DateTime<Utc>,
    within_audit_budget: impl FnOnce(ApplicationId) -> bool,
) -> Result<ClientApp, OAuthError> {
    let Some(client_id) = presented.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return Err(OAuthError::invalid_client());
    };
    let client = find(db, environment, client_id).await?;
    let failure = match &client {
        None => Some("unknown client"),
        Some(app) => match (&presented.client_secret, app.client_type) {
            (Some(secret), _) if !app.secret_matches(secret, now) => Some("wrong client secret"),
            (None, ClientType::Confidential) => Some("missing client secret"),
            _ => None,
        },
    };
    match (failure, client) {
        (None, Some(app)) => {
            match crate::suspensions::active_reason(db, app.id.0, environment).await? {
                Some(reason) => Err(OAuthError::new(
                    super::error::ErrorCode::UnauthorizedClient,
                    format!(
                    "Access for this app is suspended by the Blue Button 2.0 API team: {reason}"
                ),
                )),
                None => Ok(app),
            }
        }
        (reason, app) => {
            let reason = reason.unwrap_or("unknown client");
            let Some(app) = app.filter(|app| within_audit_budget(app.id)) else {
                tracing::warn!(
                    environment = environment.as_str(),
                    reason,
                    "client authentication failed"
                );
                return Err(OAuthError::invalid_client());
            };
            let txn = crate::db::begin_write(db).await?;
            audit::record(
                &txn,
                ctx,
                now,
                AuditRecord {
                    action: "oauth.client_auth_failed",
                    target_type: "application",
                    target_id: Some(app.id.to_string()),
                    before: None,
                    after: Some(serde_json::json!({
                        "client_id": client_id.chars().take(64).collect::<String>(),
                        "reason": reason,
                        "environment": environment.as_str(),
                    })),
                },
            )
            .await?;
            txn.commit().await?;
            Err(OAuthError::invalid_client())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_base64_of_urlencoded_parts() {
        let header = format!("Basic {}", STANDARD.encode("my%3Aclient:s%2Fcret"));
        let presented = PresentedClient::from_request(Some(&header), None, None).unwrap();
        assert_eq!(presented.client_id.as_deref(), Some("my:client"));
        assert_eq!(presented.client_secret.as_deref(), Some("s/cret"));
        assert!(presented.via_basic);
    }

    #[test]
    fn a_bearer_header_is_ignored_and_the_body_is_used() {
        let presented =
            PresentedClient::from_request(Some("Bearer abc"), Some("id1"), Some("sec")).unwrap();
        assert_eq!(presented.client_id.as_deref(), Some("id1"));
        assert!(!presented.via_basic);
    }

    #[test]
    fn garbage_basic_credentials_are_invalid_client() {
        let err = PresentedClient::from_request(Some("Basic !!!"), None, None).unwrap_err();
        assert_eq!(err.status(), 401);
        let mismatch = PresentedClient::from_request(
            Some(&format!("Basic {}", STANDARD.encode("a:b"))),
            Some("c"),
            None,
        );
        assert!(mismatch.is_err());
    }
}
