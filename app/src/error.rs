//! The one error type server functions return; pages turn it into messages.
use std::collections::BTreeMap;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Field name → message, shown beside each field.
    #[error("Please correct the fields marked below.")]
    Fields(BTreeMap<String, String>),
    /// A message for the whole form.
    #[error("{0}")]
    Message(String),
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have access to this page.")]
    Forbidden,
    #[error("Something went wrong on our side and nothing was saved. Please try again.")]
    Internal,
    /// The database could not be reached in time (overload or an outage).
    #[error(
        "The portal is very busy right now and nothing was saved. Please try again in a moment."
    )]
    Unavailable,
    /// The request never reached the function (network, encoding).
    #[error("We could not reach the server. Check your connection and try again.")]
    Transport(String),
    /// `error`, plus what the user typed (never passwords), so that a form
    /// posted without JavaScript comes back filled in.
    #[error("{error}")]
    Refused {
        error: Box<AppError>,
        kept: BTreeMap<String, String>,
    },
}

impl AppError {
    /// The message for `field`, if this error names it.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Fields(fields) => fields.get(field).cloned(),
            AppError::Refused { error, .. } => error.field(field),
            _ => None,
        }
    }

    /// What the user had typed in `field`, if it was kept.
    pub fn kept(&self, field: &str) -> Option<String> {
        match self {
            AppError::Refused { kept, .. } => kept.get(field).cloned(),
            _ => None,
        }
    }

    /// The HTTP status the server function answers with: a refusal or a
    /// field error is the caller's (4xx), so that 5xx means our fault only
    /// and alerting on it is useful.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Fields(_) | AppError::Message(_) | AppError::Transport(_) => 400,
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::Internal => 500,
            AppError::Unavailable => 503,
            AppError::Refused { error, .. } => error.status(),
        }
    }

    /// Attaches the submitted values of non-secret fields to this error.
    pub fn keeping(self, values: &[(&str, &str)]) -> Self {
        let kept = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AppError::Refused {
            error: Box::new(self),
            kept,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
