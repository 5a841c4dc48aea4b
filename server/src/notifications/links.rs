//! Every portal address an email links to, from `PUBLIC_URL`, in one place:
//! a page that moves changes here and nowhere else.
use uuid::Uuid;

/// Absolute links into the portal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Links {
    base: String,
}

impl Links {
    pub fn new(public_url: &str) -> Self {
        Self {
            base: public_url.trim_end_matches('/').to_string(),
        }
    }

    fn to(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn sign_in(&self) -> String {
        self.to("/login")
    }

    pub fn forgot_password(&self) -> String {
        self.to("/forgot-password")
    }

    /// Carries a one-time token: the email marks it as such.
    pub fn verify_email(&self, token: &str) -> String {
        self.to(&format!("/verify-email?token={token}"))
    }

    /// Carries a one-time token (password resets and first passwords).
    pub fn reset_password(&self, token: &str) -> String {
        self.to(&format!("/reset-password?token={token}"))
    }

    /// The applicant's page of a production-access application.
    pub fn application(&self, id: Uuid) -> String {
        self.to(&format!("/access/{id}"))
    }

    /// A section of the applicant's page (`messages`, `demo`).
    pub fn application_section(&self, id: Uuid, section: &str) -> String {
        self.to(&format!("/access/{id}#{section}"))
    }

    pub fn listing(&self, id: Uuid) -> String {
        self.to(&format!("/access/{id}/listing"))
    }

    pub fn policy_changes(&self, application: Uuid) -> String {
        self.to(&format!("/access/{application}/policy-changes"))
    }

    pub fn re_review(&self, application: Uuid, campaign: Uuid) -> String {
        self.to(&format!("/access/{application}/re-review/{campaign}"))
    }

    /// The reviewer's page of an application.
    pub fn review(&self, id: Uuid) -> String {
        self.to(&format!("/review/{id}"))
    }

    pub fn review_section(&self, id: Uuid, section: &str) -> String {
        self.to(&format!("/review/{id}#{section}"))
    }

    pub fn review_policy_change(&self, change: Uuid) -> String {
        self.to(&format!("/review/policy-changes/{change}"))
    }

    /// The developer's page of a registered app.
    pub fn app(&self, app: Uuid) -> String {
        self.to(&format!("/apps/{app}"))
    }

    pub fn directory_entry(&self, id: Uuid) -> String {
        self.to(&format!("/directory/{id}"))
    }

    /// Carries the single-use credential handoff token.
    pub fn handoff(&self, token: &str) -> String {
        self.to(&format!("/handoff/{token}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_slash_on_the_public_url_gives_no_double_slash() {
        let id = Uuid::nil();
        assert_eq!(
            Links::new("https://portal.example.gov/").review(id),
            format!("https://portal.example.gov/review/{id}")
        );
    }
}
