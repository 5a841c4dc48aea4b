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

use sea_orm::DbErr;

use crate::{applications, review::ReviewError, validation::FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum ProductionError {
    #[error("you may not do this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    /// Phrased for the person who acted: what is wrong and what to do.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Illegal(#[from] applications::IllegalTransition),
    /// What the application refused that is not production's own, kept
    /// whole for the edge to word.
    #[error(transparent)]
    Application(applications::AccessError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<FieldErrors> for ProductionError {
    fn from(errors: FieldErrors) -> Self {
        ProductionError::Invalid(errors)
    }
}

impl From<applications::TransitionError> for ProductionError {
    fn from(e: applications::TransitionError) -> Self {
        match e {
            applications::TransitionError::Illegal(e) => ProductionError::Illegal(e),
            applications::TransitionError::Raced { .. } => ProductionError::Refused(
                "Someone else changed the application at the same moment. Reload the page.".into(),
            ),
            applications::TransitionError::Db(e) => ProductionError::Db(e),
        }
    }
}

impl From<applications::AccessError> for ProductionError {
    fn from(e: applications::AccessError) -> Self {
        match e {
            applications::AccessError::NotFound => ProductionError::NotFound,
            applications::AccessError::Invalid(errors) => ProductionError::Invalid(errors),
            applications::AccessError::Illegal(e) => ProductionError::Illegal(e),
            applications::AccessError::Db(e) => ProductionError::Db(e),
            other => ProductionError::Application(other),
        }
    }
}

impl From<ReviewError> for ProductionError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Forbidden => ProductionError::Forbidden,
            ReviewError::NotFound => ProductionError::NotFound,
            ReviewError::Invalid(errors) => ProductionError::Invalid(errors),
            ReviewError::Illegal(e) => ProductionError::Illegal(e),
            ReviewError::Raced => ProductionError::Refused(
                "Someone else changed the application at the same moment. Reload the page.".into(),
            ),
            ReviewError::Conflict(c) => ProductionError::Refused(c.to_string()),
            ReviewError::Application(e) => ProductionError::Application(e),
            ReviewError::Db(e) => ProductionError::Db(e),
        }
    }
}
