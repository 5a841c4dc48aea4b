//! The token endpoint's grants (authorization code, refresh token), token
//! revocation (RFC 7009) and introspection (RFC 7662).
//!
//! Tokens are 256-bit random values; only their SHA-256 digests are stored.
//! Tokens from one authorization form a family: replaying its code or reusing
//! a spent refresh token revokes every token in the family.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    clients::ClientApp, grants::DataAccessType, pkce::CodeChallenge, scopes::ScopeSet, ErrorCode,
    OAuthError,
};
use crate::{
    audit::{self, AuditContext, AuditRecord},
    beneficiaries::{self, BeneficiaryRef},
    entities::{access_token, authorization_code, data_access_grant, refresh_token},
    environment::Environment,
    ids::BeneficiaryId,
    invalidation::{self, Stale},
    secrets::Secret,
};

/// Access tokens live 10 hours (or less, when the grant ends sooner).
pub const ACCESS_TOKEN_TTL: Duration = Duration::hours(10);

/// The token endpoint's success response (RFC 6749 §5.1, plus Blue Button's
/// `patient` and `access_grant_expiration`).
#[derive(Clone, Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds, as a JSON number.
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub patient: String,
    /// When the enrollee's consent ends (RFC 3339); `null` for research apps.
    pub access_grant_expiration: Option<String>,
    /// `sandbox` or `production`: which API issued the token.
    pub environment: &'static str,
}

/// Tokens just created; the secrets exist only here.
pub struct IssuedTokens {
    pub access_token: Secret,
    pub access_token_id: Uuid,
    pub refresh_token: Option<Secret>,
    pub expires_in: i64,
}

/// Creates an access token (and a refresh token when `with_refresh`) for `grant`.
pub async fn issue(
    db: &impl ConnectionTrait,
    grant: &data_access_grant::Model,
    beneficiary: &BeneficiaryRef,
    scopes: ScopeSet,
    family: Uuid,
    with_refresh: bool,
    now: DateTime<Utc>,
) -> Result<IssuedTokens, DbErr> {
    let access_expires = match grant.expires_at {
        Some(grant_end) => (now + ACCESS_TOKEN_TTL).min(grant_end),
        None => now + ACCESS_TOKEN_TTL,
    };
    let access = Secret::generate();
    let access_token_id = Uuid::new_v4();
    access_token::ActiveModel {
        id: Set(access_token_id),
        token_hash: Set(access.digest().as_str().into()),
        family_id: Set(family),
        grant_id: Set(grant.id),
        application_id: Set(grant.application_id),
        beneficiary_id: Set(beneficiary.id.0),
        scopes: Set(scopes.to_string()),
        created_at: Set(now),
        expires_at: Set(Some(access_expires)),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    let refresh = if with_refresh {
        let refresh = Secret::generate();
        refresh_token::ActiveModel {
            id: Set(Uuid::new_v4()),
            token_hash: Set(refresh.digest().as_str().into()),
            family_id: Set(family),
            grant_id: Set(grant.id),
            application_id: Set(grant.application_id),
            beneficiary_id: Set(beneficiary.id.0),
            scopes: Set(scopes.to_string()),
            created_at: Set(now),
            expires_at: Set(grant.expires_at),
            revoked_at: Set(None),
            used_at: Set(None),
        }
        .insert(db)
        .await?;
        Some(refresh)
    } else {
        None
    };
    Ok(IssuedTokens {
        access_token: access,
        access_token_id,
        refresh_token: refresh,
        expires_in: (access_expires - now).num_seconds().max(0),
    })
}

/// Revokes every token of `family`; returns how many were still live.
async fn revoke_family(
    db: &impl ConnectionTrait,
    family: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    // Refresh tokens first, here and in `grants::revoke_tokens_where`: a
    // refresh that lost the race to claim its token still holds that row
    // (PostgreSQL keeps the lock it took to recheck the concurrent update),
    // so revoking in the other order deadlocks with it.
    let refresh = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let access = access_token::Entity::update_many()
        .col_expr(access_token::Column::RevokedAt, Expr::value(now))
        .filter(access_token::Column::FamilyId.eq(family))
        .filter(access_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(access.rows_affected + refresh.rows_affected)
}

fn grant_is_current(grant: &data_access_grant::Model, now: DateTime<Utc>) -> bool {
    grant.revoked_at.is_none() && grant.expires_at.is_none_or(|end| end > now)
}

async fn load_beneficiary(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<BeneficiaryRef, OAuthError> {
    let model = beneficiaries::get(db, BeneficiaryId(id))
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_grant("the enrollee behind this grant no longer exists")
        })?;
    Ok(BeneficiaryRef {
        id: BeneficiaryId(model.id),
        patient: crate::ids::PatientId::new(model.fhir_id),
        given_name: model.given_name,
        family_name: model.family_name,
    })
}

fn response(
    issued: IssuedTokens,
    scopes: ScopeSet,
    beneficiary: &BeneficiaryRef,
    grant: &data_access_grant::Model,
    environment: Environment,
) -> TokenResponse {
    TokenResponse {
        environment: environment.as_str(),
        access_token: issued.access_token.expose().to_string(),
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: scopes.to_string(),
        refresh_token: issued.refresh_token.map(|r| r.expose().to_string()),
        patient: beneficiary.patient.as_str().to_string(),
        access_grant_expiration: grant
            .expires_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    }
}

/// `grant_type=authorization_code`.
pub async fn exchange_code(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    environment: Environment,
    app: &ClientApp,
    code: Option<&str>,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let digest = Secret::from_presented(code).digest();
    let txn = crate::db::begin_write(db).await?;
    let found = authorization_code::Entity::find()
        .filter(authorization_code::Column::CodeHash.eq(digest.as_str()))
        .one(&txn)
        .await?;
    let Some(found) = found.filter(|c| c.application_id == app.id.0) else {
        // Unknown, or another client's code: say nothing more.
        return Err(OAuthError::invalid_grant(
            "the authorization code is not valid",
        ));
    };
    if found.used_at.is_some() {
        return Err(code_replayed(txn, ctx, app, found.id, now).await?);
    }
    if found.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired; codes last 60 seconds",
        ));
    }
    match redirect_uri {
        Some(presented) if presented != found.redirect_uri => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the one used in the authorization request",
            ))
        }
        None if found.redirect_uri_given => {
            return Err(OAuthError::invalid_request(
                "redirect_uri is required because the authorization request included it",
            ))
        }
        _ => {}
    }
    if let Some(challenge) = found
        .code_challenge
        .as_deref()
        .map(CodeChallenge::from_stored)
    {
        match code_verifier {
            None | Some("") => {
                return Err(OAuthError::invalid_grant(
                    "code_verifier is required (PKCE)",
                ))
            }
            Some(verifier) if !challenge.verify(verifier) => {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ))
            }
            Some(_) => {}
        }
    } else if code_verifier.is_some_and(|v| !v.is_empty()) {
        // A verifier for a code issued without a challenge: a client that
        // believes it used PKCE did not (RFC 9700 §4.8.2, the downgrade).
        return Err(OAuthError::invalid_grant(
            "this code was issued without a code_challenge, so a code_verifier cannot be checked; start the authorization again with PKCE",
        ));
    }
    let claimed = authorization_code::Entity::update_many()
        .col_expr(authorization_code::Column::UsedAt, Expr::value(now))
        .filter(authorization_code::Column::Id.eq(found.id))
        .filter(authorization_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        // A concurrent request spent it between our read and our claim: the
        // same replay as above, caught one step later.
        return Err(code_replayed(txn, ctx, app, found.id, now).await?);
    }
    let grant = data_access_grant::Entity::find_by_id(found.grant_id)
        .one(&txn)
        .await?
        .filter(|g| grant_is_current(g, now))
        .ok_or_else(|| OAuthError::invalid_grant("the enrollee's consent has ended"))?;
    let beneficiary = load_beneficiary(&txn, found.beneficiary_id).await?;
    let scopes = ScopeSet::parse_stored(&found.scopes);
    let access =
        DataAccessType::parse(&grant.data_access_type).unwrap_or(DataAccessType::ThirteenMonth);
    let issued = issue(
        &txn,
        &grant,
        &beneficiary,
        scopes,
        found.id,
        access.issues_refresh_tokens(),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("oauth.token_issued", "access_token", issued.access_token_id).after(serde_json::json!({
            "grant": "authorization_code", "application_id": app.id, "patient": beneficiary.patient,
            "scopes": scopes.to_string(), "family": found.id, "refresh_token": issued.refresh_token.is_some(),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(response(issued, scopes, &beneficiary, &grant, environment))
}

/// A spent code presented again (RFC 6749 §4.1.2): someone else may hold it,
/// so every token issued from it is revoked, and the answer is `invalid_grant`.
/// Whether the replay is seen on reading the code or on losing the race to
/// claim it, the outcome is the same. On PostgreSQL the losing claim waits for
/// the winner to commit, so the family revoked here includes the winner's tokens.
async fn code_replayed(
    txn: sea_orm::DatabaseTransaction,
    ctx: &AuditContext,
    app: &ClientApp,
    code_id: Uuid,
    now: DateTime<Utc>,
) -> Result<OAuthError, OAuthError> {
    let revoked = revoke_family(&txn, code_id, now).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("oauth.code_replayed", "authorization_code", code_id)
            .after(serde_json::json!({ "application_id": app.id, "tokens_revoked": revoked })),
    )
    .await?;
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(OAuthError::invalid_grant(
        "the authorization code was already used; every token issued from it has been revoked",
    ))
}

/// A rotated refresh token presented again (RFC 9700 §4.14.2): the family
/// ends, as for a replayed code, whichever way the reuse was caught.
async fn refresh_reused(
    txn: sea_orm::DatabaseTransaction,
    ctx: &AuditContext,
    app: &ClientApp,
    old: &refresh_token::Model,
    now: DateTime<Utc>,
) -> Result<OAuthError, OAuthError> {
    let revoked = revoke_family(&txn, old.family_id, now).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("oauth.refresh_reused", "refresh_token", old.id)
            .after(serde_json::json!({ "application_id": app.id, "family": old.family_id, "tokens_revoked": revoked })),
    )
    .await?;
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(OAuthError::invalid_grant(
        "the refresh token was already used; every token of this authorization has been revoked",
    ))
}

/// `grant_type=refresh_token`: single use and rotating; `scope` may only narrow.
pub async fn refresh(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    environment: Environment,
    app: &ClientApp,
    presented: Option<&str>,
    scope: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let presented = presented
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let digest = Secret::from_presented(presented).digest();
    let txn = crate::db::begin_write(db).await?;
    let Some(old) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(digest.as_str()))
        .one(&txn)
        .await?
        .filter(|t| t.application_id == app.id.0)
    else {
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    };
    if old.used_at.is_some() {
        return Err(refresh_reused(txn, ctx, app, &old, now).await?);
    }
    if old.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the refresh token has been revoked",
        ));
    }
    let grant = data_access_grant::Entity::find_by_id(old.grant_id)
        .one(&txn)
        .await?
        .filter(|g| grant_is_current(g, now))
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "the enrollee's consent has ended; ask them to authorize again",
            )
        })?;
    let held = ScopeSet::parse_stored(&old.scopes);
    let scopes = match scope.filter(|s| !s.trim().is_empty()) {
        None => held,
        Some(text) => {
            let (requested, unknown) = ScopeSet::parse_lenient(text);
            if !unknown.is_empty() || !requested.is_subset_of(held) || requested.is_empty() {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("a refresh may only narrow the scope; this token holds: {held}"),
                ));
            }
            requested
        }
    };
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(old.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        // Spent by a concurrent request since we read it: reuse all the same.
        return Err(refresh_reused(txn, ctx, app, &old, now).await?);
    }
    let beneficiary = load_beneficiary(&txn, old.beneficiary_id).await?;
    let issued = issue(&txn, &grant, &beneficiary, scopes, old.family_id, true, now).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new(
            "oauth.token_refreshed",
            "access_token",
            issued.access_token_id,
        )
        .after(serde_json::json!({
            "application_id": app.id, "patient": beneficiary.patient, "scopes": scopes.to_string(),
            "family": old.family_id, "replaces_refresh_token": old.id,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(response(issued, scopes, &beneficiary, &grant, environment))
}

/// RFC 7009: revokes an access or refresh token of the calling client (a
/// refresh token takes its family with it). Unknown tokens are not an error.
pub async fn revoke(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    app: &ClientApp,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let digest = Secret::from_presented(token).digest();
    let txn = crate::db::begin_write(db).await?;
    let (kind, id, revoked) = if let Some(refresh) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(digest.as_str()))
        .one(&txn)
        .await?
        .filter(|t| t.application_id == app.id.0)
    {
        (
            "refresh_token",
            refresh.id,
            revoke_family(&txn, refresh.family_id, now).await?,
        )
    } else if let Some(access) = access_token::Entity::find()
        .filter(access_token::Column::TokenHash.eq(digest.as_str()))
        .one(&txn)
        .await?
        .filter(|t| t.application_id == app.id.0)
    {
        let result = access_token::Entity::update_many()
            .col_expr(access_token::Column::RevokedAt, Expr::value(now))
            .filter(access_token::Column::Id.eq(access.id))
            .filter(access_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        ("access_token", access.id, result.rows_affected)
    } else {
        return Ok(());
    };
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("oauth.token_revoked", kind, id)
            .after(serde_json::json!({ "application_id": app.id, "by": "client", "tokens_revoked": revoked })),
    )
    .await?;
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(())
}

/// RFC 7662: what the calling client may know about one of its own tokens.
pub async fn introspect(
    db: &DatabaseConnection,
    environment: Environment,
    app: &ClientApp,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, OAuthError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let inactive = serde_json::json!({ "active": false, "environment": environment.as_str() });
    let digest = Secret::from_presented(token).digest();
    let (kind, grant_id, beneficiary_id, scopes, created, expires, live) = if let Some(t) =
        access_token::Entity::find()
            .filter(access_token::Column::TokenHash.eq(digest.as_str()))
            .one(db)
            .await?
    {
        let live = t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now);
        (
            "access_token",
            t.grant_id,
            t.beneficiary_id,
            t.scopes,
            t.created_at,
            t.expires_at,
            live && t.application_id == app.id.0,
        )
    } else if let Some(t) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(digest.as_str()))
        .one(db)
        .await?
    {
        let live =
            t.revoked_at.is_none() && t.used_at.is_none() && t.expires_at.is_none_or(|e| e > now);
        (
            "refresh_token",
            t.grant_id,
            t.beneficiary_id,
            t.scopes,
            t.created_at,
            t.expires_at,
            live && t.application_id == app.id.0,
        )
    } else {
        return Ok(inactive);
    };
    let grant = data_access_grant::Entity::find_by_id(grant_id)
        .one(db)
        .await?;
    if !live || !grant.as_ref().is_some_and(|g| grant_is_current(g, now)) {
        return Ok(inactive);
    }
    let beneficiary = load_beneficiary(db, beneficiary_id).await?;
    Ok(serde_json::json!({
        "active": true,
        "scope": scopes,
        "client_id": app.client_id,
        "token_type": if kind == "access_token" { "Bearer" } else { "refresh_token" },
        "exp": expires.map(|e| e.timestamp()),
        "iat": created.timestamp(),
        "sub": beneficiary.patient.as_str(),
        "patient": beneficiary.patient.as_str(),
        "environment": environment.as_str(),
        "access_grant_expiration": grant.and_then(|g| g.expires_at).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    }))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{ids::PatientId, testing};

    /// A production app holding one enrollee's consent, and its first tokens.
    async fn authorized(
        db: &DatabaseConnection,
    ) -> (ClientApp, data_access_grant::Model, IssuedTokens) {
        let owner = testing::account("dev@example.com")
            .insert(db)
            .await
            .unwrap();
        let app = testing::production_app(owner.id, "Claims Tracker", "help@example.com")
            .insert(db)
            .await
            .unwrap();
        let bene = testing::beneficiary("-20140000008325")
            .insert(db)
            .await
            .unwrap();
        let app = ClientApp::from_model(app);
        let scopes = app.allowed_scopes;
        let grant = testing::grant(bene.id, app.id.0, &scopes.to_string())
            .insert(db)
            .await
            .unwrap();
        let who = BeneficiaryRef {
            id: BeneficiaryId(bene.id),
            patient: PatientId::new(bene.fhir_id),
            given_name: bene.given_name,
            family_name: bene.family_name,
        };
        let at = Utc.with_ymd_and_hms(2027, 2, 1, 15, 0, 0).unwrap();
        let issued = issue(db, &grant, &who, scopes, Uuid::new_v4(), true, at)
            .await
            .unwrap();
        (app, grant, issued)
    }

    fn invalid_grant_saying(result: &Result<TokenResponse, OAuthError>, words: &str) -> bool {
        matches!(result, Err(e) if e.error == ErrorCode::InvalidGrant && e.error_description.contains(words))
    }

    #[tokio::test]
    async fn a_refresh_token_rotates_once_and_its_reuse_ends_the_whole_authorization() {
        let db = crate::db::in_memory().await;
        let (app, _, first) = authorized(&db).await;
        let (ctx, env) = (AuditContext::default(), Environment::Production);
        let now = Utc.with_ymd_and_hms(2027, 2, 2, 15, 0, 0).unwrap();
        let old = first.refresh_token.as_ref().unwrap().expose().to_string();

        let rotated = refresh(&db, &ctx, env, &app, Some(&old), None, now)
            .await
            .unwrap();
        assert_eq!(rotated.scope, app.allowed_scopes.to_string());
        assert_eq!(rotated.patient, "-20140000008325");
        let new_access = rotated.access_token.clone();
        assert!(super::super::bearer::resolve(&db, env, &new_access, now)
            .await
            .is_ok());

        let reused = refresh(&db, &ctx, env, &app, Some(&old), None, now).await;
        assert!(invalid_grant_saying(&reused, "already used"), "{reused:?}");
        let rotated_refresh = rotated.refresh_token.unwrap();
        let after = refresh(&db, &ctx, env, &app, Some(&rotated_refresh), None, now).await;
        assert!(invalid_grant_saying(&after, "revoked"), "{after:?}");
        assert!(
            super::super::bearer::resolve(&db, env, &new_access, now)
                .await
                .is_err(),
            "the access token from the rotation is revoked with its family"
        );
    }

    #[tokio::test]
    async fn a_refresh_narrows_on_request_and_stops_with_the_consent_or_for_another_client() {
        let db = crate::db::in_memory().await;
        let (app, grant, first) = authorized(&db).await;
        let (ctx, env) = (AuditContext::default(), Environment::Production);
        let now = Utc.with_ymd_and_hms(2027, 2, 2, 15, 0, 0).unwrap();
        let token = first.refresh_token.as_ref().unwrap().expose().to_string();

        let owner = testing::account("other@example.com")
            .insert(&db)
            .await
            .unwrap();
        let other = testing::production_app(owner.id, "Other App", "help@other.example")
            .insert(&db)
            .await
            .unwrap();
        let other = ClientApp::from_model(other);
        let theirs = refresh(&db, &ctx, env, &other, Some(&token), None, now).await;
        assert!(invalid_grant_saying(&theirs, "not valid"), "{theirs:?}");

        let narrow = Some("patient/Patient.read");
        let narrowed = refresh(&db, &ctx, env, &app, Some(&token), narrow, now)
            .await
            .unwrap();
        assert_eq!(narrowed.scope, "patient/Patient.read");

        let mut ended: data_access_grant::ActiveModel = grant.into();
        ended.revoked_at = Set(Some(now));
        ended.update(&db).await.unwrap();
        let next = narrowed.refresh_token.unwrap();
        let refused = refresh(&db, &ctx, env, &app, Some(&next), None, now).await;
        assert!(
            invalid_grant_saying(&refused, "consent has ended"),
            "{refused:?}"
        );
    }
}
