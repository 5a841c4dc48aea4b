//! Redirect targets that come from input, such as the `next=` of a sign-in.
//!
//! A target is accepted only as a path on this site, and only after parsing it
//! the way a browser resolves a `Location` header. Pattern checks alone failed
//! here: `next=/%09/evil.example` arrived as `/\t/evil.example`, passed
//! "starts with one slash", and browsers, which drop tabs and newlines from
//! URLs, followed it to `//evil.example`. So the rule is strict on the raw
//! text (no scheme, no `//`, no backslash, no control characters or
//! whitespace, the same again after percent-decoding) and then checks that
//! resolving it against our origin leaves our origin.
use url::{Position, Url};

/// An absolute path (with optional query and fragment) on this site, safe to
/// send as a `Location`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPath(String);

/// Stands in for our origin while resolving; any fixed origin will do, since
/// only a change of origin matters.
const BASE: &str = "https://portal.invalid/";

/// How many rounds of percent-decoding of the path are checked (`%2525…`
/// nests further, but no browser decodes a `Location` path even once).
const DECODE_ROUNDS: usize = 3;

impl LocalPath {
    /// `raw` as a local path, or `None` if it could leave this site.
    pub fn parse(raw: &str) -> Option<Self> {
        if !plainly_local(raw) {
            return None;
        }
        // The path again after each round of decoding, in case anything
        // between here and the browser decodes it. The query is left encoded:
        // it cannot change the origin, and it legitimately carries encoded
        // spaces and URLs (the authorize request behind an enrollee sign-in).
        let mut path = raw[..raw.find(['?', '#']).unwrap_or(raw.len())].to_string();
        for _ in 0..DECODE_ROUNDS {
            let decoded = percent_encoding::percent_decode_str(&path)
                .decode_utf8()
                .ok()?
                .into_owned();
            if decoded == path {
                break;
            }
            if !plainly_local(&decoded) {
                return None;
            }
            path = decoded;
        }
        let base = Url::parse(BASE).expect("a valid base");
        let resolved = base.join(raw).ok()?;
        if resolved.origin() != base.origin() {
            return None;
        }
        // The parsed form, not the input: it is what the browser would request.
        Some(Self(resolved[Position::BeforePath..].to_string()))
    }

    /// `raw` if it is a local path, otherwise `fallback` (which must be one).
    pub fn or(raw: Option<&str>, fallback: &str) -> Self {
        raw.and_then(Self::parse)
            .unwrap_or_else(|| Self::parse(fallback).expect("the fallback is a local path"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// One slash, then a path with nothing a browser would strip or reinterpret.
fn plainly_local(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !text
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_paths_on_this_site_with_their_query_and_fragment() {
        for (raw, kept) in [
            ("/account", "/account"),
            ("/apps/1?created=1#secret", "/apps/1?created=1#secret"),
            (
                "/v2/o/authorize/?client_id=a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb",
                "/v2/o/authorize/?client_id=a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb",
            ),
            ("/a/../b", "/b"),
            (
                "/v2/o/authorize/?scope=patient%2FPatient.read%20profile&state=a%09b",
                "/v2/o/authorize/?scope=patient%2FPatient.read%20profile&state=a%09b",
            ),
            ("/%7Euser", "/%7Euser"),
        ] {
            assert_eq!(
                LocalPath::parse(raw).map(LocalPath::into_string).as_deref(),
                Some(kept),
                "{raw}"
            );
        }
    }

    #[test]
    fn refuses_every_way_off_the_site() {
        for raw in [
            "",
            "account",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            " /evil",
            "/ /evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5C%5Cevil.example",
            "/%252F/evil.example",
            "/%25252F%25252Fevil.example",
            "https://evil.example/",
            "https:evil.example",
            "javascript:alert(1)",
            "/\u{3000}/evil.example",
            "/\u{0}/x",
            "/%E0%A4%A",
        ] {
            assert_eq!(LocalPath::parse(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn falls_back_when_the_target_is_missing_or_unsafe() {
        assert_eq!(LocalPath::or(None, "/account").as_str(), "/account");
        assert_eq!(
            LocalPath::or(Some("//evil.example"), "/account").as_str(),
            "/account"
        );
        assert_eq!(LocalPath::or(Some("/apps"), "/account").as_str(), "/apps");
    }
}
