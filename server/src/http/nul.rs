//! Refuses a NUL character in a path, query or form (issue 19). PostgreSQL
//! text cannot hold one, so a `%00` reached the database as an error and
//! came back a 500 (the fuzz tests found it through `/authorize`). Nothing
//! we accept contains a NUL; refusing it here, 400 in the caller's shape,
//! keeps every handler from having to. Uploads (multipart) are binary and
//! pass; their text fields are checked where they are read.
use axum::{
    body::Body,
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::Response,
};

use super::shaped::EdgeError;

fn has_nul(raw: &[u8]) -> bool {
    raw.contains(&0)
        || raw
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// `max_body` is the body limit of the routes behind (forms are small).
/// Runs inside the request's deadline, which therefore covers reading the
/// form here as it would in the handler.
pub async fn refuse_nul(State(max_body): State<usize>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let refused = || {
        EdgeError::bad_request("The request contains a NUL character, which no field accepts.")
            .respond(&path)
    };
    if has_nul(path.as_bytes()) || req.uri().query().is_some_and(|q| has_nul(q.as_bytes())) {
        return refused();
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, max_body).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            let (status, text) = if too_large {
                (
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "The form is larger than the server accepts.",
                )
            } else {
                // The body's idle deadline, or the client went away.
                (
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    "The form stopped arriving before it was complete.",
                )
            };
            return EdgeError {
                status,
                ..EdgeError::bad_request(text)
            }
            .respond(&path);
        }
    };
    if has_nul(&bytes) {
        return refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoded_and_raw_nuls_are_found() {
        assert!(has_nul(b"client_id=%00"));
        assert!(has_nul(b"a\0b"));
        assert!(!has_nul(b"state=%0A%200x00&n=100"));
    }
}
