//! Logging: `tracing` to stdout, human-readable or JSON (`LOG_FORMAT=json`).
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Installs the global subscriber once; later calls do nothing.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,leptos=warn,hyper=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry
            .with(fmt::layer().json().with_current_span(true))
            .try_init()
    } else {
        registry.with(fmt::layer().with_target(false)).try_init()
    };
}

/// The span of one run of a background task (a mail pass, a reminder job,
/// the retention run, the access-log writer): its log lines carry the task's
/// name and an id of their own, as a request's lines carry its request id,
/// so that one run can be followed through the log.
pub fn task_span(task: &'static str) -> tracing::Span {
    tracing::info_span!("task", task, task_id = %uuid::Uuid::new_v4())
}
