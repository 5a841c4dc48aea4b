//! Protected resources: who is calling, on whose behalf, with what scopes.
//!
//! Every data path downstream is keyed on [`AccessContext::beneficiary`], the
//! token's own beneficiary, never on an id taken from the URL.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use uuid::Uuid;

use super::scopes::{Scope, ScopeSet};
use crate::{
    cache::TtlCache,
    entities::{access_token, application, beneficiary, data_access_grant},
    environment::Environment,
    ids::{ApplicationId, BeneficiaryId, PatientId},
    invalidation,
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
    /// When the token or its grant ends, whichever is first (`None`: never).
    pub valid_until: Option<DateTime<Utc>>,
}

impl AccessContext {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }
}

/// Token checks kept off the database on the API's hot path.
pub struct TokenCaches {
    /// Resolved access tokens by environment and digest. Short-lived: this is how
    /// long another copy of the server may keep accepting a token revoked elsewhere.
    pub access: TtlCache<String, AccessContext>,
    /// Bearer tokens refused for good (unknown, expired, revoked), by
    /// environment and digest, so that repeating one costs no database read.
    /// Kept apart so that a flood of them cannot push valid tokens out.
    pub refused_tokens: TtlCache<String, AccessError>,
}

impl TokenCaches {
    /// Each cache's name, hits and misses, for `/metrics`.
    pub fn counts(&self) -> Vec<(&'static str, u64, u64)> {
        [
            ("access", self.access.counts()),
            ("refused_tokens", self.refused_tokens.counts()),
        ]
        .into_iter()
        .map(|(name, (hits, misses))| (name, hits, misses))
        .collect()
    }
}

impl Default for TokenCaches {
    fn default() -> Self {
        const MB: usize = 1024 * 1024;
        Self {
            access: TtlCache::new(Duration::from_secs(1), &invalidation::ACCESS, 8 * MB),
            refused_tokens: TtlCache::new(Duration::from_secs(60), &invalidation::NEVER, 2 * MB),
        }
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
    /// The app (or all of production) is suspended; the reason is an admin's.
    #[error("Access for this app is suspended by the Blue Button 2.0 API team: {0}")]
    Suspended(String),
}

impl AccessError {
    /// Whether the same token will be refused the same way for as long as a
    /// cached answer lives: not when the database was unreachable, and not
    /// for a suspension, which an admin may lift.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            AccessError::Invalid
                | AccessError::Expired
                | AccessError::Revoked
                | AccessError::GrantEnded
        )
    }

    /// The `error` of the `WWW-Authenticate: Bearer` challenge (RFC 6750 §3.1).
    pub fn bearer_error(&self) -> Option<&'static str> {
        match self {
            AccessError::Missing => None,
            AccessError::TokenInQuery => Some("invalid_request"),
            AccessError::Unavailable => None,
            AccessError::Suspended(_) => Some("access_suspended"),
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

/// Resolves a presented access token for `environment`: one query joins the
/// token with its grant, app and beneficiary, and all of them must agree.
pub async fn resolve(
    db: &DatabaseConnection,
    environment: Environment,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessContext, AccessError> {
    use access_token::Column as T;
    use application::Column as A;
    use beneficiary::Column as B;
    use data_access_grant::Column as G;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let digest = Secret::from_presented(token).digest();
    let col = |table: &str, column: &str, alias: &str| {
        (
            Expr::col((Alias::new(table), Alias::new(column))),
            Alias::new(alias),
        )
    };
    let mut query = Query::select();
    for (expr, alias) in [
        col("t", "id", "token_id"),
        col("t", "scopes", "scopes"),
        col("t", "created_at", "issued_at"),
        col("t", "expires_at", "token_expires_at"),
        col("t", "revoked_at", "token_revoked_at"),
        col("g", "expires_at", "grant_expires_at"),
        col("g", "revoked_at", "grant_revoked_at"),
        col("g", "shares_demographics", "shares_demographics"),
        col("g", "beneficiary_id", "grant_beneficiary"),
        col("g", "application_id", "grant_application"),
        col("a", "id", "application_id"),
        col("a", "client_id", "client_id"),
        col("b", "id", "beneficiary_id"),
        col("b", "fhir_id", "fhir_id"),
    ] {
        query.expr_as(expr, alias);
    }
    query
        .from_as(access_token::Entity, Alias::new("t"))
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            data_access_grant::Entity,
            Alias::new("g"),
            Expr::col((Alias::new("g"), G::Id)).equals((Alias::new("t"), T::GrantId)),
        )
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            application::Entity,
            Alias::new("a"),
            Expr::col((Alias::new("a"), A::Id)).equals((Alias::new("t"), T::ApplicationId)),
        )
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            beneficiary::Entity,
            Alias::new("b"),
            Expr::col((Alias::new("b"), B::Id)).equals((Alias::new("t"), T::BeneficiaryId)),
        )
        .and_where(Expr::col((Alias::new("t"), T::TokenHash)).eq(digest.as_str()))
        .and_where(Expr::col((Alias::new("a"), A::Environment)).eq(environment.as_str()))
        .and_where(Expr::col((Alias::new("a"), A::Active)).eq(true));
    let row = db.query_one(&query).await?.ok_or(AccessError::Invalid)?;
    let get_time = |name: &str| {
        row.try_get::<Option<DateTime<Utc>>>("", name)
            .map_err(AccessError::from)
    };
    let (token_end, grant_end) = (get_time("token_expires_at")?, get_time("grant_expires_at")?);
    let valid_until = match (token_end, grant_end) {
        (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
        (a, b) => a.or(b),
    };
    if get_time("token_revoked_at")?.is_some() {
        return Err(AccessError::Revoked);
    }
    if get_time("token_expires_at")?.is_some_and(|e| e <= now) {
        return Err(AccessError::Expired);
    }
    if get_time("grant_revoked_at")?.is_some()
        || get_time("grant_expires_at")?.is_some_and(|e| e <= now)
    {
        return Err(AccessError::GrantEnded);
    }
    let id = |name: &str| row.try_get::<Uuid>("", name).map_err(AccessError::from);
    // The grant, the token and the beneficiary must all agree, whole ids.
    let (beneficiary_id, application_id) = (id("beneficiary_id")?, id("application_id")?);
    if id("grant_beneficiary")? != beneficiary_id || id("grant_application")? != application_id {
        return Err(AccessError::Invalid);
    }
    if let Some(reason) = crate::suspensions::active_reason(db, application_id, environment).await?
    {
        return Err(AccessError::Suspended(reason));
    }
    Ok(AccessContext {
        token_id: id("token_id")?,
        application: ApplicationId(application_id),
        client_id: row.try_get("", "client_id")?,
        beneficiary: BeneficiaryId(beneficiary_id),
        patient: PatientId::new(row.try_get::<String>("", "fhir_id")?),
        scopes: ScopeSet::parse_stored(&row.try_get::<String>("", "scopes")?),
        shares_demographics: row.try_get("", "shares_demographics")?,
        issued_at: row.try_get("", "issued_at")?,
        valid_until,
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
