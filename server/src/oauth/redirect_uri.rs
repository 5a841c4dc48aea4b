//! Redirect URIs, parsed once into a type that carries the rules of the API
//! documentation: `http` only in the sandbox, `https` everywhere, and for native
//! apps a private-use scheme in reverse-domain form (RFC 8252 §7.1, e.g.
//! `gov.cms.bluebutton.oauthtester:/callback`). No fragments, no wildcards.
//! Stored exactly as registered and compared as whole strings.
use serde::{Deserialize, Serialize};

use crate::environment::Environment;

/// A registered redirect URI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectUri(String);

pub const MAX_LENGTH: usize = 2048;
pub const MAX_PER_APP: usize = 20;

/// Why a redirect URI was refused, phrased for the developer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("{0} is too long (at most 2048 characters).")]
    TooLong(String),
    #[error("{0} contains a fragment (#…); redirect URIs may not have one.")]
    Fragment(String),
    #[error("{0} contains a wildcard (*); register each address exactly.")]
    Wildcard(String),
    #[error("{0} uses http://, which works only in the sandbox. Use https:// in production.")]
    HttpInProduction(String),
    #[error("{0} needs a host name, like https://app.example.com/callback.")]
    MissingHost(String),
    #[error("{0} is not a valid address.")]
    Malformed(String),
    #[error("{0} uses a scheme that is not allowed. Use https://, http:// (sandbox), or a reverse-domain scheme for native apps, like com.example.app:/callback.")]
    Scheme(String),
}

impl RedirectUri {
    pub fn parse(raw: &str, environment: Environment) -> Result<Self, RedirectUriError> {
        let raw = raw.trim();
        let owned = || raw.to_string();
        if raw.len() > MAX_LENGTH {
            return Err(RedirectUriError::TooLong(
                raw.chars().take(60).collect::<String>() + "…",
            ));
        }
        if raw.contains('#') {
            return Err(RedirectUriError::Fragment(owned()));
        }
        if raw.contains('*') {
            return Err(RedirectUriError::Wildcard(owned()));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RedirectUriError::Malformed(owned()));
        }
        let Some((scheme, rest)) = raw.split_once(':') else {
            return Err(RedirectUriError::Malformed(owned()));
        };
        let web = matches!(scheme, "https" | "http");
        if !web && !is_reverse_domain(scheme) {
            return Err(RedirectUriError::Scheme(owned()));
        }
        let url = url::Url::parse(raw).map_err(|_| RedirectUriError::Malformed(owned()))?;
        if web {
            if scheme == "http" && environment == Environment::Production {
                return Err(RedirectUriError::HttpInProduction(owned()));
            }
            // The parser is lenient (`https:///cb` becomes host `cb`): insist
            // on the host being written where it belongs.
            let authority = rest.strip_prefix("//").unwrap_or_default();
            if authority.is_empty()
                || authority.starts_with('/')
                || url.host_str().is_none_or(str::is_empty)
            {
                return Err(RedirectUriError::MissingHost(owned()));
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(RedirectUriError::Malformed(owned()));
            }
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a native app's private-use scheme (such apps must use PKCE).
    pub fn is_native(&self) -> bool {
        !(self.0.starts_with("https:") || self.0.starts_with("http:"))
    }

    /// Exact, whole-string comparison with a redirect URI presented by a client.
    pub fn matches(&self, presented: &str) -> bool {
        self.0 == presented
    }
}

/// `tld.domain[.more]`: at least two dot-separated labels of lower-case
/// letters, digits and hyphens, each starting with a letter.
fn is_reverse_domain(scheme: &str) -> bool {
    let labels: Vec<&str> = scheme.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            label.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// Parses a space- or newline-separated list; returns every problem found.
pub fn parse_list(text: &str, environment: Environment) -> Result<Vec<RedirectUri>, Vec<String>> {
    let mut uris: Vec<RedirectUri> = Vec::new();
    let mut problems = Vec::new();
    for raw in text.split_whitespace() {
        match RedirectUri::parse(raw, environment) {
            Ok(uri) if !uris.contains(&uri) => uris.push(uri),
            Ok(_) => {}
            Err(e) => problems.push(e.to_string()),
        }
    }
    if uris.is_empty() && problems.is_empty() {
        problems.push("Enter at least one redirect URI.".into());
    }
    if uris.len() > MAX_PER_APP {
        problems.push(format!("Register at most {MAX_PER_APP} redirect URIs."));
    }
    if problems.is_empty() {
        Ok(uris)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::{Environment::*, *};

    #[test]
    fn http_is_for_the_sandbox_only() {
        assert!(RedirectUri::parse("http://localhost:8080/testclient/callback", Sandbox).is_ok());
        assert_eq!(
            RedirectUri::parse("http://localhost/cb", Production),
            Err(RedirectUriError::HttpInProduction(
                "http://localhost/cb".into()
            ))
        );
        assert!(RedirectUri::parse("https://app.example.com/cb", Production).is_ok());
    }

    #[test]
    fn native_apps_use_reverse_domain_schemes_in_both_environments() {
        for env in [Sandbox, Production] {
            let uri = RedirectUri::parse("gov.cms.bluebutton.oauthtester:/callback", env).unwrap();
            assert!(uri.is_native());
            assert!(RedirectUri::parse(
                "gov.cms.bluebutton.oauthtester:8080//bluebutton_app/callback.html",
                env
            )
            .is_ok());
        }
        for bad in [
            "myapp:/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "Com.Example:/cb",
            "1com.example:/cb",
        ] {
            assert!(
                matches!(
                    RedirectUri::parse(bad, Sandbox),
                    Err(RedirectUriError::Scheme(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn fragments_wildcards_and_junk_are_refused() {
        assert!(matches!(
            RedirectUri::parse("https://a.example/cb#x", Sandbox),
            Err(RedirectUriError::Fragment(_))
        ));
        assert!(matches!(
            RedirectUri::parse("https://*.example/cb", Sandbox),
            Err(RedirectUriError::Wildcard(_))
        ));
        assert!(matches!(
            RedirectUri::parse("https:///cb", Sandbox),
            Err(RedirectUriError::MissingHost(_))
        ));
        assert!(matches!(
            RedirectUri::parse("https:cb", Sandbox),
            Err(RedirectUriError::MissingHost(_))
        ));
        assert!(matches!(
            RedirectUri::parse("https://user:pw@a.example/cb", Sandbox),
            Err(RedirectUriError::Malformed(_))
        ));
        assert!(matches!(RedirectUri::parse("not a uri", Sandbox), Err(_)));
        let long = format!("https://a.example/{}", "x".repeat(MAX_LENGTH));
        assert!(matches!(
            RedirectUri::parse(&long, Sandbox),
            Err(RedirectUriError::TooLong(_))
        ));
    }

    #[test]
    fn matching_is_exact_string_comparison() {
        let uri = RedirectUri::parse("https://app.example.com/callback", Sandbox).unwrap();
        assert!(uri.matches("https://app.example.com/callback"));
        for near in [
            "https://app.example.com/callback/",
            "https://APP.example.com/callback",
            "https://app.example.com/callback?x=1",
            "https://app.example.com/Callback",
        ] {
            assert!(!uri.matches(near), "{near}");
        }
    }

    #[test]
    fn lists_split_on_spaces_and_newlines_and_report_every_problem() {
        let ok = parse_list(
            "https://a.example/cb\nhttp://localhost/cb  com.example.app:/cb https://a.example/cb",
            Sandbox,
        )
        .unwrap();
        assert_eq!(ok.len(), 3, "duplicates are dropped");
        let problems =
            parse_list("http://localhost/cb https://x.example/#frag", Production).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(
            parse_list("  \n ", Sandbox).unwrap_err(),
            ["Enter at least one redirect URI."]
        );
    }
}
