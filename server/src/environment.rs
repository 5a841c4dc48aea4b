//! The two API environments a request or an app belongs to. Below every
//! other module: the HTTP edge, OAuth and FHIR all route by it.
use serde::{Deserialize, Serialize};

/// Where an app runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Sandbox,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }

    /// Where the environment's API lives on this server. The sandbox keeps the
    /// documented paths (`/v2/o/token`, `/v2/fhir/…`); production sits beside it
    /// under `/production` with its own issuer, the way `api.bluebutton.cms.gov`
    /// sits beside `sandbox.bluebutton.cms.gov` (a proxy can map a host name onto it).
    pub fn path_prefix(self) -> &'static str {
        match self {
            Environment::Sandbox => "",
            Environment::Production => "/production",
        }
    }

    /// The API base URL for clients, given the server's public URL.
    pub fn base_url(self, public_url: &str) -> String {
        format!("{}{}", public_url.trim_end_matches('/'), self.path_prefix())
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "sandbox" => Some(Environment::Sandbox),
            "production" => Some(Environment::Production),
            _ => None,
        }
    }
}
