//! What every feature service can refuse or fail with, in one place.
//!
//! A feature's error wraps [`Common`] as its `Common` variant and adds only
//! what is its own (a state that forbids the step, a race, a bad upload).
//! The edge words the common cases once (`app/src/api/ssr.rs::common`), so a
//! new feature cannot forget how a database outage or a field error reads.
use sea_orm::DbErr;

use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum Common {
    /// The signed-in person's role or ownership does not allow this.
    #[error("you may not do this")]
    Forbidden,
    /// There is no such object, or it is not the caller's to see (one answer
    /// for both, so that ids cannot be probed).
    #[error("not found")]
    NotFound,
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<FieldErrors> for Common {
    fn from(errors: FieldErrors) -> Self {
        Common::Invalid(errors)
    }
}

/// Gives a feature error with a `Common(Common)` variant the conversions that
/// `?` needs: from [`Common`], from `DbErr` and from `FieldErrors`.
#[macro_export]
macro_rules! wraps_common {
    ($feature:ty) => {
        impl From<$crate::errors::Common> for $feature {
            fn from(common: $crate::errors::Common) -> Self {
                Self::Common(common)
            }
        }
        impl From<$crate::sea_orm::DbErr> for $feature {
            fn from(e: $crate::sea_orm::DbErr) -> Self {
                Self::Common($crate::errors::Common::Db(e))
            }
        }
        impl From<$crate::validation::FieldErrors> for $feature {
            fn from(errors: $crate::validation::FieldErrors) -> Self {
                Self::Common($crate::errors::Common::Invalid(errors))
            }
        }
    };
}
