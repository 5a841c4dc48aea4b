//! Server functions: thin adapters from forms to domain services. Each one
//! checks who is asking on the server, calls one service, and maps its errors.
pub mod access;
pub mod accounts;
pub mod admin;
pub mod apps;
pub mod campaigns;
#[cfg(feature = "ssr")]
pub mod format;
pub mod incidents;
pub mod medicare;
pub mod policy_changes;
pub mod production;
pub mod review;
pub mod second_factor;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod test_client;

use serde::{Deserialize, Serialize};

/// Who is signed in, as the UI needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub name: String,
    pub email: String,
    pub organization: String,
    /// `developer`, `reviewer` or `admin`.
    pub role: String,
    pub verified: bool,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }

    pub fn can_review(&self) -> bool {
        self.role == "admin" || self.role == "reviewer"
    }
}
