//! The HTTP edge that is not the Leptos UI: health probes, middleware shared by
//! every route (request ids, CSRF, body limits), and session cookies.
pub mod csrf;
pub mod request;
pub mod session_cookie;

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Json, Router};

use crate::AppState;

/// Routes that are not pages: `/healthz`, `/readyz` (and later OAuth and FHIR).
pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Alive: the process answers.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Ready: the database answers and its schema is current.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if crate::db::is_ready(&state.db).await {
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
