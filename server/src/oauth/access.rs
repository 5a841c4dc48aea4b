//! Protected resources: who is calling, on whose behalf, with what scopes.
//!
//! Every data path downstream is keyed on [`AccessContext::beneficiary`], the
//! token's own beneficiary, never on an id taken from the URL.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::scopes::{Scope, ScopeSet};
use crate::{
    apps::Environment,
    entities::{access_token, application, beneficiary, data_access_grant},
    ids::{ApplicationId, BeneficiaryId, PatientId},
    secrets::Secret,
};

/// A valid access token, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessContext {
    pub token_id: Uuid,
    pub application: ApplicationId,
    pub client_id: String,
    pub beneficiary: BeneficiaryId,
    pub patient: PatientId,
    pub scopes: ScopeSet,
    pub shares_demographics: bool,
    pub issued_at: DateTime<Utc>,
}

impl AccessContext {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }
}

/// Why a request to a protected resource is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("Authentication credentials were not provided.")]
    Missing,
    #[error("Send the access token in the Authorization header, not in the query string.")]
    TokenInQuery,
    #[error("The access token is not valid.")]
    Invalid,
    #[error("The access token has expired.")]
    Expired,
    #[error("The access token has been revoked.")]
    Revoked,
    #[error("The enrollee's permission for this app has ended.")]
    GrantEnded,
    #[error("The server could not check the access token.")]
    Unavailable,
}

impl AccessError {
    /// The `error` of the `WWW-Authenticate: Bearer` challenge (RFC 6750 §3.1).
    pub fn bearer_error(&self) -> Option<&'static str> {
        match self {
            AccessError::Missing => None,
            AccessError::TokenInQuery => Some("invalid_request"),
            AccessError::Unavailable => None,
            _ => Some("invalid_token"),
        }
    }
}

impl From<DbErr> for AccessError {
    fn from(error: DbErr) -> Self {
        tracing::error!(%error, "database error while checking an access token");
        AccessError::Unavailable
    }
}

/// Reads `Authorization: Bearer <token>`.
pub fn bearer_token(authorization: Option<&str>) -> Result<&str, AccessError> {
    let value = authorization.ok_or(AccessError::Missing)?;
    let (scheme, token) = value.split_once(' ').ok_or(AccessError::Invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AccessError::Missing);
    }
    Ok(token.trim())
}

/// Resolves a presented access token for `environment`.
pub async fn resolve(
    db: &DatabaseConnection,
    environment: Environment,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessContext, AccessError> {
    let digest = Secret::from_presented(token).digest();
    let found = access_token::Entity::find()
        .filter(access_token::Column::TokenHash.eq(digest.as_str()))
        .one(db)
        .await?
        .ok_or(AccessError::Invalid)?;
    if found.revoked_at.is_some() {
        return Err(AccessError::Revoked);
    }
    if found.expires_at.is_some_and(|e| e <= now) {
        return Err(AccessError::Expired);
    }
    let grant = data_access_grant::Entity::find_by_id(found.grant_id)
        .one(db)
        .await?
        .ok_or(AccessError::Invalid)?;
    if grant.revoked_at.is_some() || grant.expires_at.is_some_and(|e| e <= now) {
        return Err(AccessError::GrantEnded);
    }
    let app = application::Entity::find_by_id(found.application_id)
        .filter(application::Column::Environment.eq(environment.as_str()))
        .filter(application::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or(AccessError::Invalid)?;
    let bene = beneficiary::Entity::find_by_id(found.beneficiary_id)
        .one(db)
        .await?
        .ok_or(AccessError::Invalid)?;
    // The grant, the token and the beneficiary must all agree, whole ids.
    if grant.beneficiary_id != bene.id || grant.application_id != app.id {
        return Err(AccessError::Invalid);
    }
    Ok(AccessContext {
        token_id: found.id,
        application: ApplicationId(app.id),
        client_id: app.client_id,
        beneficiary: BeneficiaryId(bene.id),
        patient: PatientId::new(bene.fhir_id),
        scopes: ScopeSet::parse_stored(&found.scopes),
        shares_demographics: grant.shares_demographics,
        issued_at: found.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_headers_carry_tokens() {
        assert_eq!(bearer_token(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Ok("abc"));
        assert_eq!(bearer_token(None), Err(AccessError::Missing));
        assert_eq!(bearer_token(Some("Basic abc")), Err(AccessError::Missing));
        assert_eq!(bearer_token(Some("Bearer")), Err(AccessError::Invalid));
    }
}
