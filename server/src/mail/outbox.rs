//! What admins see and do with mail that has not gone out: the list, the
//! age of the oldest waiting message, and putting messages back in the queue.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    policy::RecipientOutcomes,
    worker::{unclaimed, FAILED, PENDING, SENT},
};
use crate::{
    audit::{self, AuditContext, AuditRecord},
    entities::outbox_message,
};

/// One page of the admin's list, newest first.
pub struct Undelivered {
    pub messages: Vec<outbox_message::Model>,
    /// How many there are in all, and how many of them failed for good.
    pub total: u64,
    pub failed: u64,
    /// When the oldest message still waiting to go out was queued.
    pub oldest_waiting: Option<DateTime<Utc>>,
}

/// The queue's levels, for `/metrics`.
pub struct Backlog {
    pub pending: u64,
    pub failed: u64,
    /// How long the oldest pending message has waited; 0 when none.
    pub oldest_waiting_seconds: i64,
}

pub async fn backlog(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Backlog, DbErr> {
    let count = |status: &'static str| {
        outbox_message::Entity::find()
            .filter(outbox_message::Column::Status.eq(status))
            .count(db)
    };
    let oldest = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.eq(PENDING))
        .order_by_asc(outbox_message::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(Backlog {
        pending: count(PENDING).await?,
        failed: count(FAILED).await?,
        oldest_waiting_seconds: oldest.map_or(0, |m| (now - m.created_at).num_seconds().max(0)),
    })
}

/// Messages that need an admin's eye: still pending after a failure, failed,
/// or sent with some addresses rejected.
fn needing_attention() -> Condition {
    Condition::any()
        .add(outbox_message::Column::Status.eq(FAILED))
        .add(
            Condition::all()
                .add(outbox_message::Column::Status.eq(PENDING))
                .add(outbox_message::Column::Attempts.gt(0)),
        )
        .add(
            Condition::all()
                .add(outbox_message::Column::Status.eq(SENT))
                .add(outbox_message::Column::RecipientOutcomes.contains("\"rejected\"")),
        )
}

pub async fn undelivered(db: &DatabaseConnection, limit: u64) -> Result<Undelivered, DbErr> {
    let messages = outbox_message::Entity::find()
        .filter(needing_attention())
        .order_by_desc(outbox_message::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?;
    let total = outbox_message::Entity::find()
        .filter(needing_attention())
        .count(db)
        .await?;
    let failed = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.eq(FAILED))
        .count(db)
        .await?;
    let oldest_waiting = outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.eq(PENDING))
        .order_by_asc(outbox_message::Column::CreatedAt)
        .one(db)
        .await?
        .map(|m| m.created_at);
    Ok(Undelivered {
        messages,
        total,
        failed,
        oldest_waiting,
    })
}

/// What became of a request to send a message again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    Queued,
    /// Everyone it was for has it.
    AlreadyDelivered,
    /// A worker holds it right now; queuing it again could send it twice.
    BeingSent,
    NotFound,
}

/// Puts a failed message (or the rejected addresses of a sent one) back in
/// the queue, due `now`. Addresses that have the message do not get it again.
///
/// `now` is the portal clock's reading: the worker compares `next_attempt_at`
/// with that clock, so a wall-clock "now" would leave a retried message never
/// due while the clock runs behind the wall.
pub async fn retry(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Retry, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let Some(message) = outbox_message::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(Retry::NotFound);
    };
    let outcomes = RecipientOutcomes::parse(message.recipient_outcomes.as_deref());
    if message.status == SENT && outcomes.rejected().next().is_none() {
        return Ok(Retry::AlreadyDelivered);
    }
    let again = outcomes.without_rejections();
    // Conditional on no live lease: the row cannot change under a worker
    // that is sending it.
    let queued = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value(PENDING))
        .col_expr(outbox_message::Column::Attempts, Expr::value(0))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            outbox_message::Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox_message::Column::RecipientOutcomes,
            Expr::value(again.to_stored()),
        )
        .filter(outbox_message::Column::Id.eq(id))
        .filter(unclaimed(now))
        .exec(&txn)
        .await?;
    if queued.rows_affected == 0 {
        return Ok(Retry::BeingSent);
    }
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("outbox.retry", "outbox_message", id)
            .before(serde_json::json!({
                "status": message.status,
                "attempts": message.attempts,
                "rejected": outcomes.rejected().map(|(a, _)| a).collect::<Vec<_>>(),
            }))
            .after(serde_json::json!({ "status": PENDING, "attempts": 0 })),
    )
    .await?;
    txn.commit().await?;
    Ok(Retry::Queued)
}

/// Queues every failed message again (after an outage longer than the retry
/// window, or a fixed configuration). Returns how many were queued.
pub async fn retry_all_failed(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let failed: Vec<Uuid> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Id)
        .filter(outbox_message::Column::Status.eq(FAILED))
        .into_tuple()
        .all(db)
        .await?;
    let mut queued = 0;
    for id in failed {
        if retry(db, ctx, id, now).await? == Retry::Queued {
            queued += 1;
        }
    }
    Ok(queued)
}
