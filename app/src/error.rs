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
    /// The request never reached the function (network, encoding).
    #[error("We could not reach the server. Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    /// The message for `field`, if this error names it.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Fields(fields) => fields.get(field).cloned(),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
