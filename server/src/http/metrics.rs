//! `/metrics` for a Prometheus scraper, and the layer that counts every
//! response by route template. The scrape needs `Authorization: Bearer
//! <METRICS_TOKEN>`; without the setting the route does not exist (404), so
//! an anonymous visitor learns nothing and costs one string comparison.
use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{
    metrics::{Gauge, Metrics},
    AppState,
};

/// Counts the response under its route template (`/v2/fhir/Patient/{id}`,
/// never the raw path, so labels stay few).
pub async fn count(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    // A clone of the template is a reference count, not a copy.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let began = Instant::now();
    let response = next.run(req).await;
    metrics.observe_request(
        route.as_ref().map(MatchedPath::as_str),
        response.status().as_u16(),
        began.elapsed(),
    );
    response
}

fn authorized(expected: &str, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Digests, so the comparison takes the same time whatever the lengths.
    bool::from(Sha256::digest(given.as_bytes()).ct_eq(&Sha256::digest(expected.as_bytes())))
}

pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.settings.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !authorized(expected, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    let gauges = levels(&state).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&gauges),
    )
        .into_response()
}

/// The levels, read now.
async fn levels(state: &AppState) -> Vec<Gauge> {
    let mut gauges = Vec::new();
    let (size, idle, max) = crate::db::pool_levels(&state.db);
    gauges.push(Gauge {
        name: "portal_db_pool_connections",
        help: "Database connections open, by whether a request holds them.",
        kind: "gauge",
        samples: vec![
            (
                vec![("state", "in_use".into())],
                size.saturating_sub(idle) as f64,
            ),
            (vec![("state", "idle".into())], idle as f64),
        ],
    });
    gauges.push(Gauge {
        name: "portal_db_pool_max_connections",
        help: "The pool's size limit (DATABASE_MAX_CONNECTIONS).",
        kind: "gauge",
        samples: vec![(vec![], max as f64)],
    });
    match crate::mail::outbox::backlog(&state.db, state.clock.now()).await {
        Ok(backlog) => {
            gauges.push(Gauge {
                name: "portal_outbox_messages",
                help: "Mail waiting to go out, and mail failed for good.",
                kind: "gauge",
                samples: vec![
                    (vec![("status", "pending".into())], backlog.pending as f64),
                    (vec![("status", "failed".into())], backlog.failed as f64),
                ],
            });
            gauges.push(Gauge {
                name: "portal_outbox_oldest_waiting_seconds",
                help: "How long the oldest waiting message has waited (0 when none).",
                kind: "gauge",
                samples: vec![(vec![], backlog.oldest_waiting_seconds as f64)],
            });
        }
        Err(error) => tracing::warn!(%error, "metrics: could not read the outbox backlog"),
    }
    gauges.push(Gauge {
        name: "portal_access_log_queue_depth",
        help: "API access records waiting to be written.",
        kind: "gauge",
        samples: vec![(vec![], state.api_log.queue_depth() as f64)],
    });
    gauges.push(Gauge {
        name: "portal_access_log_writing",
        help: "1 while access records reach the database; 0 while reads are paused.",
        kind: "gauge",
        samples: vec![(vec![], if state.api_log.is_writing() { 1.0 } else { 0.0 })],
    });
    let mut caches = state.token_caches.counts();
    caches.extend(state.resource_caches.counts());
    for (name, help, pick) in [
        (
            "portal_cache_hits_total",
            "Cache lookups that found a live entry.",
            0usize,
        ),
        (
            "portal_cache_misses_total",
            "Cache lookups that went to the database.",
            1,
        ),
    ] {
        gauges.push(Gauge {
            name,
            help,
            kind: "counter",
            samples: caches
                .iter()
                .map(|(cache, hits, misses)| {
                    (
                        vec![("cache", cache.to_string())],
                        [*hits, *misses][pick] as f64,
                    )
                })
                .collect(),
        });
    }
    gauges
}
