//! The routes that are not pages, assembled from the features' own routers:
//! health probes, metrics, OAuth, app logos, FHIR, and the API's answer for a
//! path it does not know. At the top of the server crate, since it names
//! every feature; nothing in the crate depends on it.
use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Json, Router};

use crate::{environment::Environment, http::metrics, AppState};

/// Routes that are not pages: `/healthz`, `/readyz`, and the OAuth server.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::scrape))
        .merge(crate::oauth::http::router(Environment::Sandbox))
        .merge(crate::oauth::http::router(Environment::Production))
        .merge(crate::oauth::http::shared_router())
        .merge(crate::apps::http::router())
        .merge(crate::medicare::http::router())
        .merge(crate::fhir::http::router(Environment::Sandbox))
        .merge(crate::fhir::http::router(Environment::Production))
        .route("/v1/{*rest}", axum::routing::any(api_not_found))
        .route("/v2/{*rest}", axum::routing::any(api_not_found))
        .route("/production/{*rest}", axum::routing::any(api_not_found))
}

/// Unknown API paths answer in the API's own shape, never with an HTML page:
/// a FHIR OperationOutcome under `fhir/`, OAuth-style JSON elsewhere.
async fn api_not_found(uri: axum::http::Uri) -> impl IntoResponse {
    let path = uri.path();
    let api_path = path.strip_prefix("/production").unwrap_or(path);
    let diagnostics = format!("There is no API endpoint at {path}.");
    if api_path.starts_with("/v1/fhir/") || api_path.starts_with("/v2/fhir/") {
        (
            StatusCode::NOT_FOUND,
            [(axum::http::header::CONTENT_TYPE, "application/fhir+json")],
            Json(serde_json::json!({
                "resourceType": "OperationOutcome",
                "issue": [{ "severity": "error", "code": "not-found", "diagnostics": diagnostics }],
            })),
        )
            .into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": "not_found", "error_description": diagnostics })),
        )
            .into_response()
    }
}

/// Alive: the process answers.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Ready: not shutting down, and the database answers with its schema current.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.is_draining() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "draining" })),
        )
    } else if !state.api_log.is_writing() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "access log not writing" })),
        )
    } else if crate::db::is_ready(&state.db).await {
        (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ready" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "unavailable" })),
        )
    }
}
