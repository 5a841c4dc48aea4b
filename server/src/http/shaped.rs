//! An error answered at the edge (a panic, a deadline, overload), in the
//! shape the caller of the path expects: an `OperationOutcome` for FHIR, an
//! RFC 6749 style JSON error for the other API paths, a page for browsers.
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

/// What went wrong, in each of the shapes.
pub struct EdgeError {
    pub status: StatusCode,
    /// OperationOutcome `severity` and `code` (`fatal`/`exception`, `error`/`transient`).
    pub fhir_severity: &'static str,
    pub fhir_code: &'static str,
    /// The OAuth-style `error` (`server_error`, `temporarily_unavailable`).
    pub api_error: &'static str,
    pub title: &'static str,
    pub text: String,
    /// Seconds for `Retry-After`, when trying again shortly is the answer.
    pub retry_after: Option<u32>,
}

impl EdgeError {
    /// 503, "try again shortly": the server is busy or a request ran out of time.
    pub fn unavailable(text: impl Into<String>) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            fhir_severity: "error",
            fhir_code: "transient",
            api_error: "temporarily_unavailable",
            title: "Try again in a moment",
            text: text.into(),
            retry_after: Some(1),
        }
    }

    /// 400: the request carries something we never accept.
    pub fn bad_request(text: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            fhir_severity: "error",
            fhir_code: "invalid",
            api_error: "invalid_request",
            title: "That request cannot be read",
            text: text.into(),
            retry_after: None,
        }
    }

    pub fn respond(self, path: &str) -> Response {
        let json = |body: serde_json::Value, kind: &'static str| {
            (
                self.status,
                [(header::CONTENT_TYPE, kind)],
                body.to_string(),
            )
                .into_response()
        };
        let mut response = if path.contains("/fhir/") {
            json(
                serde_json::json!({
                    "resourceType": "OperationOutcome",
                    "issue": [{ "severity": self.fhir_severity, "code": self.fhir_code, "diagnostics": self.text }],
                }),
                "application/fhir+json",
            )
        } else if [
            "/v1/",
            "/v2/",
            "/v3/",
            "/api/",
            "/.well-known/",
            "/production/",
        ]
        .iter()
        .any(|p| path.starts_with(p))
        {
            json(
                serde_json::json!({ "error": self.api_error, "error_description": self.text }),
                "application/json",
            )
        } else {
            (
                self.status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                format!(
                    "<!DOCTYPE html><html lang=\"en\"><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{}</p></main></body></html>",
                    self.text.replace('&', "&amp;").replace('<', "&lt;"),
                    title = self.title,
                ),
            )
                .into_response()
        };
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
