//! Where a session stands between the password and being signed in: the
//! one rule that `accounts` (which accepts only signed-in sessions) and
//! `second_factor` (which moves a session along) both follow. It sits below
//! both so that neither depends on the other for it (issue 20).
use serde::{Deserialize, Serialize};

use crate::{entities::account, ids::Role};

/// Where a session stands between the password and being signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInStage {
    SignedIn,
    /// The account has an authenticator; the session must present a code.
    NeedsCode,
    /// Staff without an authenticator: the session must set one up.
    NeedsEnrolment,
}

/// The rule, in one place.
pub fn stage(role: Role, enrolled: bool, presented: bool) -> SignInStage {
    match (presented, enrolled, role.can_review()) {
        (true, _, _) => SignInStage::SignedIn,
        (false, true, _) => SignInStage::NeedsCode,
        (false, false, true) => SignInStage::NeedsEnrolment,
        (false, false, false) => SignInStage::SignedIn,
    }
}

/// [`stage`] for an account row and whether its session presented a factor.
pub fn stage_of(account: &account::Model, presented: bool) -> SignInStage {
    stage(
        Role::parse(&account.role).unwrap_or(Role::Developer),
        account.totp_enabled_at.is_some(),
        presented,
    )
}
