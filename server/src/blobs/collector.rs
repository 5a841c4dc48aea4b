//! Collects stored files that no record refers to (issue 19): what an
//! upload whose transaction failed left behind, the file of a document that
//! was replaced, and `.part` files of a write that was cut off.
//!
//! The store deduplicates by content, so deleting a file is only safe if no
//! upload of the same bytes is about to commit a record that refers to it.
//! The registry (`stored_blobs`) makes that a handshake in the database,
//! which works the same for a local directory and a bucket, and for any
//! number of instances:
//!
//! 1. An upload *claims* the bytes (sets `claimed_at`) before it writes or
//!    finds the file, and commits the claim on its own.
//! 2. The collector marks a row `collecting` only if its claim is older than
//!    [`GRACE`] and no record refers to it, in one conditional update; it
//!    then deletes the file, and only then the row.
//! 3. A claim on a row being collected waits until the row is gone, and then
//!    writes the file anew.
//!
//! So an upload that claimed before the mark keeps its file (the mark sees a
//! fresh claim), and one that claims after it waits for the delete and
//! writes again. Failed uploads therefore never delete anything themselves.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait,
};

use super::{BlobStore, LocalEntry};
use crate::entities::{access_document, decision_letter, policy_change_document, stored_blob};

/// How long a file no record refers to is kept after its last claim:
/// far longer than any upload takes to commit.
pub const GRACE: Duration = Duration::days(1);
/// How long a claim waits for the collector to finish with the same bytes.
const CLAIM_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Rows per statement, and batches per run.
const BATCH: u64 = 1_000;
const BATCHES: usize = 20;

/// What one run deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collected {
    /// Whole files no record refers to.
    pub files: u64,
    /// `.part` files of writes that never finished.
    pub partial_files: u64,
}

/// Claims `sha256` for an upload that is about to write or reuse the file
/// (step 1 above). Waits while the collector is deleting it.
pub(super) async fn claim(
    db: &impl ConnectionTrait,
    sha256: &str,
    now: DateTime<Utc>,
) -> std::io::Result<()> {
    let deadline = tokio::time::Instant::now() + CLAIM_WAIT;
    loop {
        let claimed = stored_blob::Entity::insert(stored_blob::ActiveModel {
            sha256: Set(sha256.to_string()),
            claimed_at: Set(now),
            collecting_since: Set(None),
        })
        .on_conflict(
            OnConflict::column(stored_blob::Column::Sha256)
                .update_column(stored_blob::Column::ClaimedAt)
                .action_and_where(
                    Expr::col((stored_blob::Entity, stored_blob::Column::CollectingSince))
                        .is_null(),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(std::io::Error::other)?;
        if claimed > 0 {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(std::io::Error::other(
                "the blob store is still removing an earlier copy of this file",
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Rows with no record referring to them. `NOT IN` is safe here: `sha256`
/// is never null in the referring tables.
fn unreferenced() -> Condition {
    Condition::all()
        .add(
            stored_blob::Column::Sha256.not_in_subquery(
                access_document::Entity::find()
                    .select_only()
                    .column(access_document::Column::Sha256)
                    .into_query(),
            ),
        )
        .add(
            stored_blob::Column::Sha256.not_in_subquery(
                decision_letter::Entity::find()
                    .select_only()
                    .column(decision_letter::Column::Sha256)
                    .into_query(),
            ),
        )
        .add(
            stored_blob::Column::Sha256.not_in_subquery(
                policy_change_document::Entity::find()
                    .select_only()
                    .column(policy_change_document::Column::Sha256)
                    .into_query(),
            ),
        )
}

/// One collection at `now`.
pub async fn collect(
    db: &impl ConnectionTrait,
    store: &BlobStore,
    now: DateTime<Utc>,
) -> Result<Collected, DbErr> {
    let stale = now - GRACE;
    let mut collected = Collected::default();
    if let Some(entries) = store.local_entries().await {
        collected.partial_files = sweep_local(db, entries, now).await?;
    }
    // Step 2: mark. The row-local conditions are repeated outside the
    // subquery so that PostgreSQL checks them again on a row an upload has
    // just claimed.
    for _ in 0..BATCHES {
        let candidates = stored_blob::Entity::find()
            .select_only()
            .column(stored_blob::Column::Sha256)
            .filter(stored_blob::Column::CollectingSince.is_null())
            .filter(stored_blob::Column::ClaimedAt.lt(stale))
            .filter(unreferenced())
            .limit(BATCH)
            .into_query();
        let marked = stored_blob::Entity::update_many()
            .col_expr(stored_blob::Column::CollectingSince, Expr::value(now))
            .filter(stored_blob::Column::Sha256.in_subquery(candidates))
            .filter(stored_blob::Column::CollectingSince.is_null())
            .filter(stored_blob::Column::ClaimedAt.lt(stale))
            .exec(db)
            .await?
            .rows_affected;
        if marked < BATCH {
            break;
        }
    }
    // Step 2, continued: delete the marked files, then their rows. Rows a
    // run marked before it was cut off are finished here too.
    for _ in 0..BATCHES {
        let marked: Vec<String> = stored_blob::Entity::find()
            .select_only()
            .column(stored_blob::Column::Sha256)
            .filter(stored_blob::Column::CollectingSince.is_not_null())
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let mut removed = Vec::with_capacity(marked.len());
        for sha256 in &marked {
            match store.remove(sha256).await {
                Ok(()) => {
                    collected.files += 1;
                    removed.push(sha256.clone())
                }
                // Claimed but never written (a write cut off), or removed
                // by a run that stopped before deleting the row.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => removed.push(sha256.clone()),
                // Left marked: the next run tries again, and claims of these
                // bytes wait meanwhile.
                Err(error) => {
                    tracing::warn!(%error, sha256, "could not remove an unreferenced blob")
                }
            }
        }
        stored_blob::Entity::delete_many()
            .filter(stored_blob::Column::Sha256.is_in(removed.iter().cloned()))
            .filter(stored_blob::Column::CollectingSince.is_not_null())
            .exec(db)
            .await?;
        if (marked.len() as u64) < BATCH || removed.len() < marked.len() {
            break;
        }
    }
    Ok(collected)
}

/// A local directory can hold files the registry does not know: written
/// before it existed, or `.part` files of a write that was cut off. Unknown
/// whole files are registered (and so collected a day later if nothing
/// refers to them); `.part` files whose bytes have no recent claim are
/// deleted. Returns how many `.part` files went.
async fn sweep_local(
    db: &impl ConnectionTrait,
    entries: Vec<LocalEntry>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let stale = now - GRACE;
    let (whole, partial): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|entry| matches!(entry, LocalEntry::Whole { .. }));
    for chunk in whole.chunks(500) {
        let rows = chunk.iter().map(|entry| stored_blob::ActiveModel {
            sha256: Set(entry.sha256().to_string()),
            claimed_at: Set(now),
            collecting_since: Set(None),
        });
        stored_blob::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(stored_blob::Column::Sha256)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let mut removed = 0;
    for entry in partial {
        let LocalEntry::Partial { sha256, path } = entry else {
            continue;
        };
        let claimed = stored_blob::Entity::find_by_id(sha256.clone())
            .filter(stored_blob::Column::ClaimedAt.gte(stale))
            .one(db)
            .await?;
        if claimed.is_none() {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => removed += 1,
                Err(error) => {
                    tracing::warn!(%error, path = %path.display(), "could not remove a partial blob")
                }
            }
        }
    }
    Ok(removed)
}
