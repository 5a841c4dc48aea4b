//! Data-access grants: what an enrollee allowed one app to see, and for how
//! long. One active grant per (enrollee, app); consenting again replaces it
//! and ends the tokens of the old one.
use chrono::{DateTime, Duration, Months, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::scopes::ScopeSet;
use crate::{
    audit::{self, AuditContext, AuditRecord},
    entities::{access_token, application, data_access_grant, refresh_token},
    ids::{ApplicationId, BeneficiaryId},
    invalidation::{self, Stale},
};

/// How long an app may read an enrollee's data after consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataAccessType {
    /// 13 months, refreshable (the default).
    ThirteenMonth,
    /// One hour, no refresh token.
    OneTime,
    /// No expiry (approved research apps).
    Research,
}

impl DataAccessType {
    pub fn as_str(self) -> &'static str {
        match self {
            DataAccessType::ThirteenMonth => "13-month",
            DataAccessType::OneTime => "one-time",
            DataAccessType::Research => "research",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "13-month" => Some(DataAccessType::ThirteenMonth),
            "one-time" => Some(DataAccessType::OneTime),
            "research" => Some(DataAccessType::Research),
            _ => None,
        }
    }

    /// When a grant made at `now` ends (`None`: never).
    pub fn expiry(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            DataAccessType::ThirteenMonth => {
                Some(now.checked_add_months(Months::new(13)).unwrap_or(now))
            }
            DataAccessType::OneTime => Some(now + Duration::hours(1)),
            DataAccessType::Research => None,
        }
    }

    /// One-time access gets no refresh token.
    pub fn issues_refresh_tokens(self) -> bool {
        self != DataAccessType::OneTime
    }
}

/// Marks every unrevoked token of the grants matching `grants` as revoked.
pub(crate) async fn revoke_tokens_where(
    db: &impl ConnectionTrait,
    grants: Condition,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let grant_ids: Vec<Uuid> = data_access_grant::Entity::find()
        .filter(grants)
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    if grant_ids.is_empty() {
        return Ok(0);
    }
    // Refresh tokens first, as in `tokens::revoke_family`, which says why.
    let refresh = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::GrantId.is_in(grant_ids.clone()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let access = access_token::Entity::update_many()
        .col_expr(access_token::Column::RevokedAt, Expr::value(now))
        .filter(access_token::Column::GrantId.is_in(grant_ids))
        .filter(access_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(access.rows_affected + refresh.rows_affected)
}

fn active(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(data_access_grant::Column::RevokedAt.is_null())
        .add(
            Condition::any()
                .add(data_access_grant::Column::ExpiresAt.is_null())
                .add(data_access_grant::Column::ExpiresAt.gt(now)),
        )
}

/// Records consent: ends any earlier grant of this enrollee to this app (and
/// its tokens), then creates the new one. Runs inside the caller's transaction.
pub async fn replace(
    db: &impl ConnectionTrait,
    beneficiary: BeneficiaryId,
    application: ApplicationId,
    scopes: ScopeSet,
    shares_demographics: bool,
    access: DataAccessType,
    now: DateTime<Utc>,
) -> Result<data_access_grant::Model, DbErr> {
    let earlier = Condition::all()
        .add(data_access_grant::Column::BeneficiaryId.eq(beneficiary.0))
        .add(data_access_grant::Column::ApplicationId.eq(application.0))
        .add(data_access_grant::Column::RevokedAt.is_null());
    revoke_tokens_where(db, earlier.clone(), now).await?;
    data_access_grant::Entity::update_many()
        .col_expr(data_access_grant::Column::RevokedAt, Expr::value(now))
        .filter(earlier)
        .exec(db)
        .await?;
    data_access_grant::ActiveModel {
        id: Set(Uuid::new_v4()),
        beneficiary_id: Set(beneficiary.0),
        application_id: Set(application.0),
        scopes: Set(scopes.to_string()),
        shares_demographics: Set(shares_demographics),
        data_access_type: Set(access.as_str().into()),
        created_at: Set(now),
        expires_at: Set(access.expiry(now)),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
}

/// An app an enrollee has connected, as the connected-apps page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedApp {
    pub grant_id: Uuid,
    pub app_name: String,
    pub app_website: String,
    pub scopes: Vec<String>,
    pub shares_demographics: bool,
    pub data_access_type: DataAccessType,
    pub granted_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The enrollee's current grants, newest first.
pub async fn connected_apps(
    db: &DatabaseConnection,
    beneficiary: BeneficiaryId,
    now: DateTime<Utc>,
) -> Result<Vec<ConnectedApp>, DbErr> {
    let grants = data_access_grant::Entity::find()
        .filter(data_access_grant::Column::BeneficiaryId.eq(beneficiary.0))
        .filter(active(now))
        .order_by_desc(data_access_grant::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(grants.len());
    for grant in grants {
        let Some(app) = application::Entity::find_by_id(grant.application_id)
            .one(db)
            .await?
        else {
            continue;
        };
        out.push(ConnectedApp {
            grant_id: grant.id,
            app_name: app.name,
            app_website: app.website_url,
            scopes: ScopeSet::parse_stored(&grant.scopes)
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            shares_demographics: grant.shares_demographics,
            data_access_type: DataAccessType::parse(&grant.data_access_type)
                .unwrap_or(DataAccessType::ThirteenMonth),
            granted_at: grant.created_at,
            expires_at: grant.expires_at,
        });
    }
    Ok(out)
}

/// The enrollee withdraws an app's access: the grant and all its tokens end now.
/// Returns false when no such grant of theirs is active (another enrollee's
/// grant id is treated as unknown).
pub async fn revoke_by_beneficiary(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    beneficiary: BeneficiaryId,
    grant: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let mine = Condition::all()
        .add(data_access_grant::Column::Id.eq(grant))
        .add(data_access_grant::Column::BeneficiaryId.eq(beneficiary.0))
        .add(data_access_grant::Column::RevokedAt.is_null());
    let Some(found) = data_access_grant::Entity::find()
        .filter(mine.clone())
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let tokens = revoke_tokens_where(&txn, mine.clone(), now).await?;
    data_access_grant::Entity::update_many()
        .col_expr(data_access_grant::Column::RevokedAt, Expr::value(now))
        .filter(mine)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("oauth.grant_revoked", "data_access_grant", grant)
            .before(serde_json::json!({ "application_id": found.application_id, "scopes": found.scopes }))
            .after(serde_json::json!({ "revoked_by": "beneficiary", "tokens_revoked": tokens })),
    )
    .await?;
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_periods() {
        let now = DateTime::parse_from_rfc3339("2026-01-31T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            DataAccessType::ThirteenMonth
                .expiry(now)
                .unwrap()
                .to_rfc3339(),
            "2027-02-28T12:00:00+00:00",
            "13 months later, clamped to the month's last day"
        );
        assert_eq!(
            DataAccessType::OneTime.expiry(now),
            Some(now + Duration::hours(1))
        );
        assert_eq!(DataAccessType::Research.expiry(now), None);
        assert!(!DataAccessType::OneTime.issues_refresh_tokens());
        for t in [
            DataAccessType::ThirteenMonth,
            DataAccessType::OneTime,
            DataAccessType::Research,
        ] {
            assert_eq!(DataAccessType::parse(t.as_str()), Some(t));
        }
    }
}
