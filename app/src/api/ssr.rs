//! Server-only helpers for server functions: state, request facts, the
//! signed-in account, cookies, and mapping domain errors to [`AppError`].
use axum::http::{header::SET_COOKIE, request::Parts, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use server::{
    accounts::{AccountError, CurrentUser},
    audit::{AuditContext, RequestMeta},
    http::{request::meta_from_parts, session_cookie},
    validation::FieldErrors,
    AppState,
};

use crate::error::AppError;

pub fn state() -> AppState {
    expect_context::<AppState>()
}

fn parts() -> Parts {
    expect_context::<Parts>()
}

pub fn meta() -> RequestMeta {
    meta_from_parts(&parts())
}

pub fn session_token() -> Option<String> {
    session_cookie::read(&parts().headers)
}

/// The account behind this request's session cookie.
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    let Some(token) = session_token() else { return Ok(None) };
    let state = state();
    server::accounts::session_user(&state.db, &token, state.clock.now()).await.map_err(internal)
}

/// The signed-in account, or [`AppError::Unauthorized`].
pub async fn require_user() -> Result<CurrentUser, AppError> {
    current_user().await?.ok_or(AppError::Unauthorized)
}

/// The signed-in admin, or an error; checked on every admin server function.
pub async fn require_admin() -> Result<CurrentUser, AppError> {
    let user = require_user().await?;
    if user.role == server::ids::Role::Admin { Ok(user) } else { Err(AppError::Forbidden) }
}

pub fn audit_as(user: &CurrentUser) -> AuditContext {
    user.audit(meta())
}

pub fn set_cookie(value: HeaderValue) {
    expect_context::<ResponseOptions>().append_header(SET_COOKIE, value);
}

pub fn fields(errors: FieldErrors) -> AppError {
    AppError::Fields(errors.into_map())
}

pub fn internal(error: impl std::fmt::Display) -> AppError {
    tracing::error!(%error, "server function failed");
    AppError::Internal
}

/// The user-facing form of an account service error.
pub fn account_error(error: AccountError) -> AppError {
    match error {
        AccountError::Invalid(errors) => fields(errors),
        AccountError::InvalidCredentials => AppError::Message(
            "That email and password do not match an account. Check them and try again.".into(),
        ),
        AccountError::Locked { until } => AppError::Message(format!(
            "Sign-in is paused after 5 failed attempts. Try again after {} UTC, or reset your password.",
            until.format("%H:%M")
        )),
        AccountError::Link(problem) => AppError::Message(problem.to_string()),
        AccountError::NotFound => AppError::Message("We could not find that account.".into()),
        AccountError::Db(e) => internal(e),
    }
}
