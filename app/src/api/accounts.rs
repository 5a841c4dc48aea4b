//! Sign-up, sign-in, sign-out, email verification and passwords.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;
use super::Viewer;
use crate::error::AppError;

/// The signed-in account, if any.
#[server(endpoint = "viewer")]
pub async fn get_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(current_user().await?.map(|u| Viewer {
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
    let state = state();
    let form = server::accounts::SignUp {
        name,
        email,
        organization,
        password,
        password_confirm,
        accept_terms: accept_terms.is_some(),
    };
    let ctx = server::audit::AuditContext::anonymous(meta());
    server::accounts::sign_up(&state.db, &ctx, form, &state.settings.public_url, state.clock.now())
        .await
        .map_err(account_error)?;
    state.mail_wake.notify_one();
    leptos_axum::redirect("/signup/check-email");
    Ok(())
}

#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    let state = state();
    let ctx = server::audit::AuditContext::anonymous(meta());
    server::accounts::verify_email(&state.db, &ctx, &token, state.clock.now()).await.map_err(account_error)?;
    leptos_axum::redirect("/login?verified=1");
    Ok(())
}

#[server(endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    let user = require_user().await?;
    let state = state();
    server::accounts::resend_verification(
        &state.db,
        &audit_as(&user),
        user.id,
        &state.settings.public_url,
        state.clock.now(),
    )
    .await
    .map_err(account_error)?;
    state.mail_wake.notify_one();
    leptos_axum::redirect("/account?resent=1");
    Ok(())
}

/// Only same-site paths are followed after sign-in, never another host.
#[cfg(feature = "ssr")]
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/account".into())
}

#[server(endpoint = "log_in")]
pub async fn log_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = state();
    let ctx = server::audit::AuditContext::anonymous(meta());
    let ttl = chrono::Duration::from_std(state.settings.session_ttl).unwrap_or(chrono::Duration::hours(12));
    let result = server::accounts::log_in(&state.db, &ctx, &email, &password, state.clock.now(), ttl).await;
    // A lockout queues a notice even though sign-in failed.
    state.mail_wake.notify_one();
    let session = result.map_err(account_error)?;
    // A fresh session id on every sign-in; the old cookie, if any, stops mattering.
    if let Some(old) = session_token() {
        let _ = server::accounts::log_out(&state.db, &ctx, &old, state.clock.now()).await;
    }
    set_cookie(server::http::session_cookie::set(
        session.token.expose(),
        session.expires_at,
        state.settings.secure_cookies(),
    ));
    leptos_axum::redirect(&safe_next(next));
    Ok(())
}

#[server(endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    let state = state();
    if let Some(token) = session_token() {
        let ctx = match current_user().await? {
            Some(user) => audit_as(&user),
            None => server::audit::AuditContext::anonymous(meta()),
        };
        server::accounts::log_out(&state.db, &ctx, &token, state.clock.now()).await.map_err(internal)?;
    }
    set_cookie(server::http::session_cookie::clear(state.settings.secure_cookies()));
    leptos_axum::redirect("/login?signed_out=1");
    Ok(())
}

#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let state = state();
    let ctx = server::audit::AuditContext::anonymous(meta());
    server::accounts::request_password_reset(&state.db, &ctx, &email, &state.settings.public_url, state.clock.now())
        .await
        .map_err(account_error)?;
    state.mail_wake.notify_one();
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String, password_confirm: String) -> Result<(), AppError> {
    let state = state();
    let ctx = server::audit::AuditContext::anonymous(meta());
    server::accounts::reset_password(&state.db, &ctx, &token, &password, &password_confirm, state.clock.now())
        .await
        .map_err(account_error)?;
    state.mail_wake.notify_one();
    set_cookie(server::http::session_cookie::clear(state.settings.secure_cookies()));
    leptos_axum::redirect("/login?reset=1");
    Ok(())
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    let user = require_user().await?;
    let state = state();
    let ttl = chrono::Duration::from_std(state.settings.session_ttl).unwrap_or(chrono::Duration::hours(12));
    let session = server::accounts::change_password(
        &state.db,
        &audit_as(&user),
        user.id,
        &current_password,
        &password,
        &password_confirm,
        state.clock.now(),
        ttl,
    )
    .await
    .map_err(account_error)?;
    state.mail_wake.notify_one();
    set_cookie(server::http::session_cookie::set(
        session.token.expose(),
        session.expires_at,
        state.settings.secure_cookies(),
    ));
    leptos_axum::redirect("/account?changed=1");
    Ok(())
}
