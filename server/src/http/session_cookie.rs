//! Session cookies: HttpOnly, SameSite=Lax, Secure over https. Developers and
//! staff use [`NAME`]; enrollees signing in to authorize apps use [`BENEFICIARY`].
use axum::http::{header, HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};

pub const NAME: &str = "bb_session";
pub const BENEFICIARY: &str = "bb_bene_session";

/// The value of cookie `name` presented by the browser, if any.
pub fn read_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// The portal session token presented by the browser, if any.
pub fn read(headers: &HeaderMap) -> Option<String> {
    read_named(headers, NAME)
}

/// `Set-Cookie` for a new session in cookie `name`.
///
/// `Max-Age` is the session's remaining lifetime measured by `now`, which must
/// come from the same clock that set `expires_at`. Measuring it by the wall
/// clock instead made every cookie born expired whenever the injected clock ran
/// behind the wall (the time bomb of issue 17), and born too long when ahead.
pub fn set_named(
    name: &str,
    token: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    secure: bool,
) -> HeaderValue {
    let max_age = (expires_at - now).num_seconds().max(0);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("token is base64url")
}

/// `Set-Cookie` for a new portal session.
pub fn set(
    token: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    secure: bool,
) -> HeaderValue {
    set_named(NAME, token, expires_at, now, secure)
}

/// `Set-Cookie` that removes cookie `name`.
pub fn clear_named(name: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("ascii")
}

/// `Set-Cookie` that removes the portal session cookie.
pub fn clear(secure: bool) -> HeaderValue {
    clear_named(NAME, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; bb_session=tok-en_1; bb_bene_session=b2"),
        );
        assert_eq!(read(&headers).as_deref(), Some("tok-en_1"));
        assert_eq!(read_named(&headers, BENEFICIARY).as_deref(), Some("b2"));
        headers.insert(header::COOKIE, HeaderValue::from_static("bb_session_x=1"));
        assert_eq!(read(&headers), None);
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    #[test]
    fn cookie_attributes_protect_the_session() {
        let now = at("2026-11-02T09:00:00Z");
        let v = set("abc", now + chrono::Duration::hours(1), now, true);
        let v = v.to_str().unwrap();
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Lax") && v.contains("Secure"));
        assert!(!clear(false).to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn max_age_is_the_lifetime_left_by_the_given_clock_whatever_the_year() {
        // Dates far from today on both sides: the wall clock must play no part.
        for now in [at("1999-12-31T23:00:00Z"), at("2061-07-04T12:00:00Z")] {
            let v = set("abc", now + chrono::Duration::hours(12), now, false);
            assert!(v.to_str().unwrap().contains("Max-Age=43200"), "{v:?}");
            let gone = set("abc", now - chrono::Duration::seconds(5), now, false);
            assert!(gone.to_str().unwrap().contains("Max-Age=0"), "{gone:?}");
        }
    }
}
