//! The OAuth 2.0 authorization server that third-party apps integrate with,
//! as the Blue Button 2.0 API documents it: authorization code (PKCE S256)
//! and implicit grants, rotating refresh tokens, revocation, introspection,
//! userinfo and discovery documents. Written on plain primitives (sha2, rand,
//! base64, subtle); the HTTP edge is [`http`].
pub mod authorize;
pub mod bearer;
pub mod clients;
mod error;
pub mod grants;
pub mod http;
pub mod pkce;
pub mod redirect_uri;
pub mod scopes;
pub mod tokens;

pub use error::{ErrorCode, OAuthError};

/// The API generation in the path: `/v1` serves FHIR STU3, `/v2` FHIR R4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    V2,
}

impl ApiVersion {
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::V2];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }
}
