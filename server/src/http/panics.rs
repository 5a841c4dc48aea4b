//! A panic in a handler becomes a 500 with the request id, never a dropped
//! connection (issue 19). Without this, hyper closes the connection when the
//! task serving it unwinds: the client sees a reset and the log shows
//! nothing tied to the request.
//!
//! Runs inside [`super::request::with_request_id`], so the panic is logged in
//! the request's span and the response carries `X-Request-Id`. The body has
//! the shape the caller expects: an `OperationOutcome` for FHIR, an RFC 6749
//! style JSON error for the other API paths, a page for browsers.
use std::panic::AssertUnwindSafe;

use axum::{
    extract::Request,
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures_util::FutureExt;

use super::request::RequestId;

pub async fn catch_panics(req: Request, next: Next) -> Response {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let path = req.uri().path().to_string();
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(response) => response,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            tracing::error!(panic = %message, "a handler panicked; answered 500");
            panic_response(&path, &id)
        }
    }
}

fn panic_response(path: &str, id: &str) -> Response {
    let text = format!(
        "Something went wrong on our side and nothing was saved. Please try again; if it keeps happening, tell us the request id {id}."
    );
    let json = |body: serde_json::Value, kind: &'static str| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, kind)],
            body.to_string(),
        )
            .into_response()
    };
    if path.contains("/fhir/") {
        json(
            serde_json::json!({
                "resourceType": "OperationOutcome",
                "issue": [{ "severity": "fatal", "code": "exception", "diagnostics": text }],
            }),
            "application/fhir+json",
        )
    } else if ["/v1/", "/v2/", "/v3/", "/api/", "/.well-known/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        json(
            serde_json::json!({ "error": "server_error", "error_description": text }),
            "application/json",
        )
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!(
                "<!DOCTYPE html><html lang=\"en\"><head><title>Something went wrong</title></head><body><main><h1>Something went wrong</h1><p>{}</p></main></body></html>",
                text.replace('<', "&lt;")
            ),
        )
            .into_response()
    }
}
