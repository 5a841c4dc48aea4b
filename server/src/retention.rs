//! Retention: rows that only grow with use are deleted once nobody can use
//! them and the record no longer needs them (issue 19). The audit trail keeps
//! what happened; these tables only hold what is needed now.
//!
//! - expired sign-in sessions (staff, developers, enrollees), authorization
//!   requests and codes, a day after they expire;
//! - access and refresh tokens dead (expired, revoked, or for a refresh
//!   token rotated) for [`RetentionPolicy::tokens`]. A rotated refresh token
//!   presented again after that is refused as unknown rather than also
//!   ending its family;
//! - the attachments of delivered mail after
//!   [`RetentionPolicy::mail_attachments`] (the message row stays);
//! - API access log rows older than [`RetentionPolicy::access_log`];
//! - stored files no record refers to, a day after their last upload
//!   (`blobs::collector`).
//!
//! Deletes go in bounded batches, so one run never holds a table for long,
//! and on PostgreSQL a run is claimed with an advisory lock, so with several
//! instances one of them does it.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    QueryFilter, QuerySelect, QueryTrait, Statement, TransactionTrait,
};

use crate::{
    audit::{self, AuditContext, AuditRecord},
    blobs::BlobStore,
    entities::{
        access_token, api_access, authorization_code, authorization_request, beneficiary_session,
        outbox_attachment, outbox_message, refresh_token, session,
    },
};

/// How long what is kept is kept. See the README's settings.
#[derive(Clone, Debug)]
pub struct RetentionPolicy {
    /// `RETENTION_TOKEN_DAYS`: dead tokens; default 30.
    pub tokens: Duration,
    /// `RETENTION_MAIL_ATTACHMENT_DAYS`: attachments of delivered mail; default 90.
    pub mail_attachments: Duration,
    /// `RETENTION_ACCESS_LOG_DAYS`: the API access log; default 2190 (six
    /// years, the HIPAA accounting-of-disclosures period).
    pub access_log: Duration,
}

/// How long an expired session, request or code stays, for the message a
/// late click gets.
const GRACE: Duration = Duration::days(1);
/// Rows per delete, and batches per table per run.
const BATCH: u64 = 5_000;
const BATCHES: usize = 20;

/// What one run deleted, by table.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    pub sessions: u64,
    pub beneficiary_sessions: u64,
    pub authorization_requests: u64,
    pub authorization_codes: u64,
    pub access_tokens: u64,
    pub refresh_tokens: u64,
    pub mail_attachments: u64,
    pub access_log: u64,
    pub blob_files: u64,
    pub partial_blob_files: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.beneficiary_sessions
            + self.authorization_requests
            + self.authorization_codes
            + self.access_tokens
            + self.refresh_tokens
            + self.mail_attachments
            + self.access_log
            + self.blob_files
            + self.partial_blob_files
    }
}

/// Deletes, `BATCH` rows at a time, the rows of `$entity` matching
/// `$condition`: `DELETE … WHERE id IN (SELECT id … LIMIT n)`, which both
/// databases take.
macro_rules! prune {
    ($db:expr, $entity:ident, $condition:expr) => {{
        let mut deleted = 0u64;
        for _ in 0..BATCHES {
            let ids = $entity::Entity::find()
                .select_only()
                .column($entity::Column::Id)
                .filter($condition.clone())
                .limit(BATCH)
                .into_query();
            let result = $entity::Entity::delete_many()
                .filter($entity::Column::Id.in_subquery(ids))
                .exec($db)
                .await?;
            deleted += result.rows_affected;
            if result.rows_affected < BATCH {
                break;
            }
        }
        deleted
    }};
}

/// One retention run at `now`. Returns `None` when another instance holds
/// the run.
pub async fn run(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<Option<Pruned>, DbErr> {
    // The claim: held by this transaction's connection until the run ends.
    let claim = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        let got = claim
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock(hashtext('retention')) AS got",
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "got"))
            .transpose()?
            .unwrap_or(false);
        if !got {
            return Ok(None);
        }
    }
    let expired = now - GRACE;
    let dead = now - policy.tokens;
    let mut pruned = Pruned {
        sessions: prune!(
            db,
            session,
            Condition::all().add(session::Column::ExpiresAt.lt(expired))
        ),
        beneficiary_sessions: prune!(
            db,
            beneficiary_session,
            Condition::all().add(beneficiary_session::Column::ExpiresAt.lt(expired))
        ),
        authorization_requests: prune!(
            db,
            authorization_request,
            Condition::all().add(authorization_request::Column::ExpiresAt.lt(expired))
        ),
        authorization_codes: prune!(
            db,
            authorization_code,
            Condition::all().add(authorization_code::Column::ExpiresAt.lt(expired))
        ),
        access_tokens: prune!(
            db,
            access_token,
            Condition::any()
                .add(access_token::Column::ExpiresAt.lt(dead))
                .add(access_token::Column::RevokedAt.lt(dead))
        ),
        refresh_tokens: prune!(
            db,
            refresh_token,
            Condition::any()
                .add(refresh_token::Column::ExpiresAt.lt(dead))
                .add(refresh_token::Column::RevokedAt.lt(dead))
                .add(refresh_token::Column::UsedAt.lt(dead))
        ),
        mail_attachments: prune!(
            db,
            outbox_attachment,
            Condition::all().add(
                outbox_attachment::Column::MessageId.in_subquery(
                    outbox_message::Entity::find()
                        .select_only()
                        .column(outbox_message::Column::Id)
                        .filter(outbox_message::Column::Status.eq(crate::mail::worker::SENT))
                        .filter(outbox_message::Column::SentAt.lt(now - policy.mail_attachments))
                        .into_query()
                )
            )
        ),
        access_log: prune!(
            db,
            api_access,
            Condition::all().add(api_access::Column::OccurredAt.lt(now - policy.access_log))
        ),
        blob_files: 0,
        partial_blob_files: 0,
    };
    let collected = crate::blobs::collector::collect(db, blobs, now).await?;
    pruned.blob_files = collected.files;
    pruned.partial_blob_files = collected.partial_files;
    if pruned.total() > 0 {
        audit::record(
            &claim,
            &AuditContext::default(),
            now,
            AuditRecord {
                action: "retention.pruned",
                target_type: "retention",
                target_id: None,
                before: None,
                after: Some(serde_json::to_value(&pruned).expect("counts serialize")),
            },
        )
        .await?;
    }
    claim.commit().await?;
    Ok(Some(pruned))
}
