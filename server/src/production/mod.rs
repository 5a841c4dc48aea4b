//! After approval: the directory listing (post-approval form) and its review,
//! the public connected-apps directory, the production credential handoff,
//! and what keeps a live production app current (renewal reminders).
//!
//! Every function checks who may act on the server and moves the application
//! through [`crate::applications::AccessState::apply`]; every change is audited.
pub mod directory;
pub mod handoff;
pub mod listing;
pub mod renewal;

use crate::{applications, errors::Common, review::ReviewError};

#[derive(Debug, thiserror::Error)]
pub enum ProductionError {
    /// Refusals and failures every feature has; see [`crate::errors`].
    #[error(transparent)]
    Common(Common),
    /// Phrased for the person who acted: what is wrong and what to do.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Illegal(#[from] applications::IllegalTransition),
    /// What the application refused that is not production's own, kept
    /// whole for the edge to word.
    #[error(transparent)]
    Application(applications::ApplicationError),
}

crate::wraps_common!(ProductionError);

impl From<applications::TransitionError> for ProductionError {
    fn from(e: applications::TransitionError) -> Self {
        match e {
            applications::TransitionError::Illegal(e) => ProductionError::Illegal(e),
            applications::TransitionError::Raced { .. } => ProductionError::Refused(
                "Someone else changed the application at the same moment. Reload the page.".into(),
            ),
            applications::TransitionError::Db(e) => ProductionError::from(e),
        }
    }
}

impl From<applications::ApplicationError> for ProductionError {
    fn from(e: applications::ApplicationError) -> Self {
        match e {
            applications::ApplicationError::Common(common) => ProductionError::Common(common),
            applications::ApplicationError::Illegal(e) => ProductionError::Illegal(e),
            other => ProductionError::Application(other),
        }
    }
}

impl From<ReviewError> for ProductionError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Common(common) => ProductionError::Common(common),
            ReviewError::Illegal(e) => ProductionError::Illegal(e),
            ReviewError::Raced => ProductionError::Refused(
                "Someone else changed the application at the same moment. Reload the page.".into(),
            ),
            ReviewError::Conflict(c) => ProductionError::Refused(c.to_string()),
            ReviewError::Application(e) => ProductionError::Application(e),
        }
    }
}
