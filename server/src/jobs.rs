//! Every periodic job the portal runs, in one place (issue 20): what it does,
//! how often, and how it is claimed so that any number of portal instances
//! on one PostgreSQL do it once.
//!
//! | job | cadence | claim |
//! |---|---|---|
//! | `retention` (`server::retention`, with blob collection) | at start-up, then hourly | a PostgreSQL advisory lock for the run; SQLite has one instance |
//! | `demo` reminders (`review::demos`) | every minute | a conditional update per demo |
//! | `renewal` reminders (`production::renewal`) | every minute | a conditional update per app and window |
//! | `policy-change escalation` (`policy_changes`) | every minute | a conditional update per warning |
//! | `re-review` reminders (`campaigns`) | every minute | a conditional update per app and window |
//! | `re-review deadline` (`campaigns`) | every minute | a conditional update per campaign |
//!
//! Not listed because they are not periodic: the mail worker
//! (`mail::worker`, a lease per message, woken when mail is queued) and the
//! API-log writer (`api_log`, per process). Every run is counted for
//! `/metrics` and logs within a task span of its own.
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::Instrument;

use crate::{telemetry::task_span, AppState};

const RETENTION_EVERY: Duration = Duration::from_secs(3600);
const REMINDERS_EVERY: Duration = Duration::from_secs(60);

/// Runs the jobs until `shutdown` turns true.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut last_retention: Option<Instant> = None;
    loop {
        if last_retention.is_none_or(|at| at.elapsed() >= RETENTION_EVERY) {
            last_retention = Some(Instant::now());
            retention(&state).await;
        }
        let (db, now) = (&state.db, state.clock.now());
        // A notifier per job (it lives to the end of its statement), so that
        // each wakes the mail worker as soon as it finishes.
        reminder(
            &state,
            "demo",
            crate::review::demos::send_reminders(db, &state.notifier(), now),
        )
        .await;
        reminder(
            &state,
            "renewal",
            crate::production::renewal::send_reminders(db, &state.notifier(), now),
        )
        .await;
        reminder(
            &state,
            "policy-change escalation",
            crate::policy_changes::send_escalations(db, &state.notifier(), now),
        )
        .await;
        reminder(
            &state,
            "re-review",
            crate::campaigns::send_reminders(db, &state.notifier(), now),
        )
        .await;
        reminder(
            &state,
            "re-review deadline",
            crate::campaigns::enforce_deadlines(db, &state.notifier(), now),
        )
        .await;
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return,
            _ = tokio::time::sleep(REMINDERS_EVERY) => {}
        }
    }
}

async fn retention(state: &AppState) {
    let span = task_span("retention");
    let run = crate::retention::run(
        &state.db,
        &state.blobs,
        &state.settings.retention,
        state.clock.now(),
    )
    .instrument(span.clone())
    .await;
    state.metrics.job_ran("retention", run.is_ok());
    let _in_span = span.enter();
    match run {
        Ok(Some(pruned)) if pruned.total() > 0 => {
            tracing::info!(?pruned, "retention: deleted rows past their keep-by date")
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "retention run failed; retrying in an hour"),
    }
}

/// Runs one reminder job in a task span of its own and counts it for
/// `/metrics`. Its notifier wakes the mail worker when it queued anything.
async fn reminder(
    state: &AppState,
    what: &'static str,
    run: impl std::future::Future<Output = Result<usize, sea_orm::DbErr>>,
) {
    let span = task_span(what);
    let result = run.instrument(span.clone()).await;
    state.metrics.job_ran(what, result.is_ok());
    let _in_span = span.enter();
    match result {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "{what} job done"),
        Err(error) => tracing::warn!(%error, "{what} job failed; retrying in a minute"),
    }
}
