//! PKCE (RFC 7636), S256 only. `plain` is refused.
//!
//! Comparison ignores base64url `=` padding: the official Python SDK pads both
//! its verifier and its challenge.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A validated S256 code challenge, stored without padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeChallenge(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_challenge_method must be S256; plain is not supported")]
    UnsupportedMethod,
    #[error(
        "code_challenge must be the base64url-encoded SHA-256 of the code verifier (43 characters)"
    )]
    MalformedChallenge,
    #[error("code_challenge_method was sent without code_challenge")]
    MethodWithoutChallenge,
}

fn is_base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl CodeChallenge {
    /// Validates the authorize request's PKCE parameters. `Ok(None)`: no PKCE.
    /// A challenge without a method defaults to `plain` (RFC 7636 §4.3), which is refused.
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Option<Self>, PkceError> {
        match (
            challenge.filter(|c| !c.is_empty()),
            method.filter(|m| !m.is_empty()),
        ) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(PkceError::MethodWithoutChallenge),
            (Some(_), None) | (Some(_), Some("plain")) => Err(PkceError::UnsupportedMethod),
            (Some(challenge), Some("S256")) => {
                let unpadded = challenge.trim_end_matches('=');
                if unpadded.len() == 43 && is_base64url(unpadded) {
                    Ok(Some(Self(unpadded.to_string())))
                } else {
                    Err(PkceError::MalformedChallenge)
                }
            }
            (Some(_), Some(_)) => Err(PkceError::UnsupportedMethod),
        }
    }

    /// Restores a challenge stored by [`CodeChallenge::as_str`].
    pub fn from_stored(value: &str) -> Self {
        Self(value.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `verifier` hashes to this challenge (constant-time comparison).
    pub fn verify(&self, verifier: &str) -> bool {
        let unpadded_len = verifier.trim_end_matches('=').len();
        let shaped = (43..=128).contains(&unpadded_len)
            && verifier.len() <= 128
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~=".contains(&b));
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        shaped & bool::from(computed.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_example_verifies_with_and_without_padding() {
        let challenge = CodeChallenge::parse(Some(CHALLENGE), Some("S256"))
            .unwrap()
            .unwrap();
        assert!(challenge.verify(VERIFIER));
        let padded = CodeChallenge::parse(Some(&format!("{CHALLENGE}=")), Some("S256"))
            .unwrap()
            .unwrap();
        assert!(padded.verify(VERIFIER));
        assert!(!challenge.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"));
        assert!(!challenge.verify(""));
    }

    #[test]
    fn a_padded_python_style_verifier_works() {
        // The Python SDK: verifier = urlsafe_b64encode(32 printable chars) (44 chars, '=' padded),
        // challenge = urlsafe_b64encode(sha256(verifier)) (padded).
        let verifier = "MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXY=";
        let challenge =
            base64::engine::general_purpose::URL_SAFE.encode(Sha256::digest(verifier.as_bytes()));
        assert!(challenge.ends_with('='));
        let parsed = CodeChallenge::parse(Some(&challenge), Some("S256"))
            .unwrap()
            .unwrap();
        assert!(parsed.verify(verifier));
    }

    #[test]
    fn plain_and_malformed_challenges_are_refused() {
        assert_eq!(
            CodeChallenge::parse(Some(VERIFIER), Some("plain")),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::parse(Some(CHALLENGE), None),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::parse(None, Some("S256")),
            Err(PkceError::MethodWithoutChallenge)
        );
        assert_eq!(
            CodeChallenge::parse(Some("short"), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
        assert_eq!(
            CodeChallenge::parse(Some(&format!("{}!", &CHALLENGE[1..])), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
        assert_eq!(CodeChallenge::parse(None, None), Ok(None));
    }
}
