//! The session cookie: HttpOnly, SameSite=Lax, Secure over https.
use axum::http::{header, HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};

pub const NAME: &str = "bb_session";

/// The session token presented by the browser, if any.
pub fn read(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a new session.
pub fn set(token: &str, expires_at: DateTime<Utc>, secure: bool) -> HeaderValue {
    let max_age = (expires_at - Utc::now()).num_seconds().max(0);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("token is base64url")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; bb_session=tok-en_1; c=3"),
        );
        assert_eq!(read(&headers).as_deref(), Some("tok-en_1"));
        headers.insert(header::COOKIE, HeaderValue::from_static("bb_session_x=1"));
        assert_eq!(read(&headers), None);
    }

    #[test]
    fn cookie_attributes_protect_the_session() {
        let v = set("abc", Utc::now() + chrono::Duration::hours(1), true);
        let v = v.to_str().unwrap();
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Lax") && v.contains("Secure"));
        assert!(!clear(false).to_str().unwrap().contains("Secure"));
    }
}
