//! A panic in a handler becomes a 500 with the request id, never a dropped
//! connection (issue 19). Without this, hyper closes the connection when the
//! task serving it unwinds: the client sees a reset and the log shows
//! nothing tied to the request.
//!
//! Runs inside [`super::request::with_request_id`], so the panic is logged in
//! the request's span and the response carries `X-Request-Id`. The body has
//! the shape the caller expects ([`super::shaped`]).
use std::panic::AssertUnwindSafe;

use axum::{extract::Request, http::StatusCode, middleware::Next, response::Response};
use futures_util::FutureExt;

use super::{request::RequestId, shaped::EdgeError};

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
    EdgeError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        fhir_severity: "fatal",
        fhir_code: "exception",
        api_error: "server_error",
        title: "Something went wrong",
        text: format!(
            "Something went wrong on our side and nothing was saved. Please try again; if it keeps happening, tell us the request id {id}."
        ),
        retry_after: None,
    }
    .respond(path)
}
