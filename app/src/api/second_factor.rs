//! Two-step sign-in: the second step of signing in, setting up an
//! authenticator, and turning it off (developers) or resetting it (admins).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

/// What the set-up page shows (see `server::second_factor::Enrolment`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentView {
    pub email: String,
    pub key: String,
    pub uri: String,
    pub recovery_codes: Vec<String>,
}

/// The account page's two-step sign-in section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorView {
    /// "December 5, 2026", or none when it is off.
    pub enabled_on: Option<String>,
    pub recovery_codes_left: usize,
    pub required: bool,
}

#[cfg(feature = "ssr")]
impl Call {
    /// The user-facing form of a second-step error. Past the password, a
    /// pause can say what it is: the caller knows the password already.
    fn second_factor_error(&self, error: server::accounts::AccountError) -> AppError {
        match error {
            server::accounts::AccountError::Locked { .. } => AppError::Message(
                "Too many wrong codes: sign-in is paused for 15 minutes. We emailed the account's owner.".into(),
            ),
            other => self.account_error(other),
        }
    }
}

/// The authenticator key and recovery codes to set up, for a sign-in that
/// must enrol (staff) or a signed-in developer who chooses to.
#[server(endpoint = "second_factor/enrolment")]
pub async fn get_enrolment() -> Result<EnrolmentView, AppError> {
    let call = Call::capture();
    let token = call.session_token().ok_or(AppError::Unauthorized)?;
    let enrolment = server::second_factor::begin_enrolment(
        &call.state.db,
        &call.state.sealing_key,
        &token,
        call.now(),
    )
    .await
    .map_err(|e| call.second_factor_error(e))?;
    let email = server::second_factor::in_progress(&call.state.db, &token, call.now())
        .await
        .map_err(internal)?
        .map(|p| p.email)
        .unwrap_or_default();
    Ok(EnrolmentView {
        email,
        key: enrolment.key,
        uri: enrolment.uri,
        recovery_codes: enrolment.recovery_codes,
    })
}

/// Confirms the set-up with the first code from the app.
#[server(endpoint = "second_factor/confirm")]
pub async fn confirm_enrolment(code: String, next: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    call.throttle_account_action()?;
    let token = call.session_token().ok_or(AppError::Unauthorized)?;
    let completed = server::second_factor::confirm_enrolment(
        &call.state.db,
        &call.state.sealing_key,
        &call.anonymous(),
        &token,
        &code,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| call.second_factor_error(e))?;
    call.set_session_cookie(completed.token.expose(), completed.expires_at);
    call.redirect(&super::accounts::safe_next(next));
    Ok(())
}

/// The second step of signing in.
#[server(endpoint = "second_factor/present")]
pub async fn present_code(code: String, next: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    call.throttle_account_action()?;
    let token = call.session_token().ok_or(AppError::Unauthorized)?;
    let result = server::second_factor::present(
        &call.state.db,
        &call.state.sealing_key,
        &call.anonymous(),
        &token,
        &code,
        &call.notifier(),
        call.now(),
    )
    .await;
    let completed = result.map_err(|e| call.second_factor_error(e))?;
    call.set_session_cookie(completed.token.expose(), completed.expires_at);
    call.redirect(&super::accounts::safe_next(next));
    Ok(())
}

#[server(endpoint = "second_factor/status")]
pub async fn get_status() -> Result<SecondFactorView, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let status = server::second_factor::status(&call.state.db, user.id)
        .await
        .map_err(|e| call.second_factor_error(e))?;
    Ok(SecondFactorView {
        enabled_on: status.enabled_at.map(super::format::date),
        recovery_codes_left: status.recovery_codes_left,
        required: status.required,
    })
}

/// A developer turns two-step sign-in off, confirming with a code.
#[server(endpoint = "second_factor/disable")]
pub async fn disable(code: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    server::second_factor::disable(
        &call.state.db,
        &call.state.sealing_key,
        &call.audit_as(&user),
        user.id,
        &code,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| call.second_factor_error(e))?;
    call.redirect("/account?second_factor=off");
    Ok(())
}
