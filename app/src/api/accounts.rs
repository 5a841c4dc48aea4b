//! Sign-up, sign-in, sign-out, email verification and passwords.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use super::Viewer;
use crate::error::AppError;

/// The signed-in account, if any.
#[server(endpoint = "viewer")]
pub async fn get_viewer() -> Result<Option<Viewer>, AppError> {
    let call = Call::capture();
    Ok(call.current_user().await?.map(|u| Viewer {
        name: u.name,
        email: u.email,
        organization: u.organization,
        role: u.role.as_str().into(),
        verified: u.verified,
    }))
}

#[server(endpoint = "sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    organization: String,
    password: String,
    password_confirm: String,
    accept_terms: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let kept = [
        ("name", name.clone()),
        ("email", email.clone()),
        ("organization", organization.clone()),
    ];
    let keeping = |e: AppError| e.keeping(&kept.each_ref().map(|(k, v)| (*k, v.as_str())));
    call.throttle_account_action().map_err(keeping)?;
    let form = server::accounts::SignUp {
        name,
        email,
        organization,
        password,
        password_confirm,
        accept_terms: accept_terms.is_some(),
    };
    server::accounts::sign_up(
        &call.state.db,
        &call.anonymous(),
        form,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| keeping(call.account_error(e)))?;
    call.redirect("/signup/check-email");
    Ok(())
}

#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let call = Call::capture();
    server::accounts::verify_email(&call.state.db, &call.anonymous(), &token, call.now())
        .await
        .map_err(|e| call.account_error(e))?;
    call.redirect("/login?verified=1");
    Ok(())
}

#[server(endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    let call = Call::capture();
    call.throttle_account_action()?;
    let user = call.require_user().await?;
    server::accounts::resend_verification(
        &call.state.db,
        &call.audit_as(&user),
        user.id,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| call.account_error(e))?;
    call.redirect("/account?resent=1");
    Ok(())
}

/// Only same-site paths are followed after sign-in, never another host.
#[cfg(feature = "ssr")]
/// Where to go after signing in: `next` if it is a path on this site.
pub(crate) fn safe_next(next: Option<String>) -> String {
    server::http::LocalPath::or(next.as_deref(), "/account").into_string()
}

#[server(endpoint = "log_in")]
pub async fn log_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    call.throttle_account_action()
        .map_err(|e| e.keeping(&[("email", &email)]))?;
    let ctx = call.anonymous();
    let result = server::accounts::log_in(
        &call.state.db,
        &ctx,
        &email,
        &password,
        &call.notifier(),
        call.now(),
        call.session_ttl(),
    )
    .await;
    let session = result.map_err(|e| call.account_error(e).keeping(&[("email", &email)]))?;
    // A fresh session id on every sign-in; the old one, if any, ends.
    if let Some(old) = call.session_token() {
        let _ = server::accounts::log_out(&call.state.db, &ctx, &old, call.now()).await;
    }
    call.set_session_cookie(session.token.expose(), session.expires_at);
    call.redirect(&after_password(session.stage, &safe_next(next)));
    Ok(())
}

/// Where the password step leads: on to `next`, or to the second step first
/// (carrying `next` along).
#[cfg(feature = "ssr")]
fn after_password(stage: server::second_factor::SignInStage, next: &str) -> String {
    use server::second_factor::SignInStage;
    let carry = |page: &str| {
        format!(
            "{page}?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        )
    };
    match stage {
        SignInStage::SignedIn => next.to_string(),
        SignInStage::NeedsCode => carry("/login/code"),
        SignInStage::NeedsEnrolment => carry("/login/set-up"),
    }
}

#[server(endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    let call = Call::capture();
    if let Some(token) = call.session_token() {
        let ctx = match call.current_user().await? {
            Some(user) => call.audit_as(&user),
            None => call.anonymous(),
        };
        server::accounts::log_out(&call.state.db, &ctx, &token, call.now())
            .await
            .map_err(internal)?;
    }
    call.clear_session_cookie();
    call.redirect("/login?signed_out=1");
    Ok(())
}

#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let call = Call::capture();
    call.throttle_account_action()
        .map_err(|e| e.keeping(&[("email", &email)]))?;
    server::accounts::request_password_reset(
        &call.state.db,
        &call.anonymous(),
        &email,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| call.account_error(e).keeping(&[("email", &email)]))?;
    call.redirect("/forgot-password?sent=1");
    Ok(())
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(
    token: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    let call = Call::capture();
    server::accounts::reset_password(
        &call.state.db,
        &call.anonymous(),
        &token,
        &password,
        &password_confirm,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| call.account_error(e))?;
    call.clear_session_cookie();
    call.redirect("/login?reset=1");
    Ok(())
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let session = server::accounts::change_password(
        &call.state.db,
        &call.audit_as(&user),
        user.id,
        &current_password,
        &password,
        &password_confirm,
        &call.notifier(),
        call.now(),
        call.session_ttl(),
    )
    .await
    .map_err(|e| call.account_error(e))?;
    call.set_session_cookie(session.token.expose(), session.expires_at);
    call.redirect("/account?changed=1");
    Ok(())
}
