//! Per-request facts: a request id on every log line and audit row, the
//! client's address and user agent.
use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

use super::client_address::ClientAddress;
use crate::audit::RequestMeta;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id, stored in request extensions by [`with_request_id`].
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Gives every request an id (a sane incoming `X-Request-Id` is kept), runs it
/// inside a tracing span that carries the id, and echoes it in the response.
pub async fn with_request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let path = loggable_path(req.uri().path());
    let span =
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %path);
    // A duration, not a time of day: the monotonic clock, not the portal's.
    let began = std::time::Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let latency_ms = (began.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), latency_ms, "response"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}

/// Paths whose next segment is a bearer secret: whoever reads the logs must
/// not be able to follow the link. (The other one-time links carry their
/// token in the query string, which is never logged.)
const SECRET_SEGMENT_AFTER: &[&str] = &["/handoff/"];

/// The request path as the log may show it: a secret segment becomes `{token}`.
pub(crate) fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in SECRET_SEGMENT_AFTER {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |at| &rest[at..]);
            return format!("{prefix}{{token}}{tail}").into();
        }
    }
    path.into()
}

/// The caller's address: as `client_address::resolve` found it (which
/// believes a trusted proxy), else the connection's peer.
pub fn client_ip(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<ClientAddress>().map(|c| c.0).or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    })
}

/// Reads the audit facts out of request parts.
pub fn meta_from_parts(parts: &axum::http::request::Parts) -> RequestMeta {
    RequestMeta {
        request_id: parts.extensions.get::<RequestId>().map(|r| r.0.clone()),
        ip: client_ip(&parts.extensions).map(|ip| ip.to_string()),
        user_agent: parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(512).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn a_handoff_token_never_reaches_the_log() {
        assert_eq!(loggable_path("/handoff/abcDEF123"), "/handoff/{token}");
        assert_eq!(loggable_path("/handoff/abc/more"), "/handoff/{token}/more");
        assert_eq!(loggable_path("/v2/fhir/Patient/-1"), "/v2/fhir/Patient/-1");
    }
}
