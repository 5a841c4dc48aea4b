//! CSRF defense for cookie-authenticated requests: a state-changing request
//! must come from our own origin. Browsers send `Origin` on every POST (and
//! `Referer` as a fallback); a request with neither is refused. Machine
//! endpoints that authenticate with client credentials, not cookies, are exempt.
use axum::{
    extract::Request,
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::client_address::ForwardedOrigin;

/// Paths that never use cookies (OAuth token endpoints, FHIR): apps call them
/// from their servers with no Origin.
const EXEMPT_PREFIXES: &[&str] = &[
    "/v1/o/token",
    "/v2/o/token",
    "/v1/o/revoke_token",
    "/v2/o/revoke_token",
    "/v1/o/introspect",
    "/v2/o/introspect",
    "/v1/fhir/",
    "/v2/fhir/",
    "/v1/connect/",
    "/v2/connect/",
];

/// The path within its environment: production's API sits under `/production`.
fn api_path(path: &str) -> &str {
    path.strip_prefix(crate::environment::Environment::Production.path_prefix())
        .unwrap_or(path)
}

/// `host` or `host:port` (a default port is left out, as in a Host header).
fn host_and_port(url: &url::Url) -> String {
    match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    }
}

pub async fn require_same_origin(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || EXEMPT_PREFIXES
            .iter()
            .any(|p| api_path(req.uri().path()).starts_with(p))
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    // The host the browser reached: as a trusted proxy forwarded it (see
    // `client_address::resolve`, which runs first), else the Host header.
    let forwarded = req
        .extensions()
        .get::<ForwardedOrigin>()
        .and_then(|origin| url::Url::parse(&origin.0).ok())
        .map(|url| host_and_port(&url));
    let host = forwarded.unwrap_or_else(|| {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string()
    });
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok());
    let same_origin = source
        .is_some_and(|url| !host.is_empty() && host_and_port(&url).eq_ignore_ascii_case(&host));
    if same_origin {
        next.run(req).await
    } else {
        tracing::warn!(path = %super::request::loggable_path(req.uri().path()), "refused cross-origin state-changing request");
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "This request did not come from the portal's own pages, so it was refused to protect your account. Go back, reload the page and try again.",
        )
            .into_response()
    }
}
