//! Server-only helpers for server functions.
//!
//! Leptos context is only reliable until a server function's first `.await`:
//! under concurrent load, the reactive owner behind an SSR resource can be
//! gone by the time the future resumes. So every server function starts with
//! [`Call::capture`], which copies what it needs out of the context at once,
//! and uses only that afterwards (tested in tests/tests/api/concurrency.rs).
use axum::http::{
    header::{ACCEPT, LOCATION, SET_COOKIE},
    request::Parts,
    HeaderName, HeaderValue, StatusCode,
};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use server::{
    accounts::{AccountError, CurrentUser},
    audit::{AuditContext, RequestMeta},
    http::{request::meta_from_parts, session_cookie},
    ids::Role,
    validation::FieldErrors,
    AppState,
};

use crate::error::AppError;

/// One server-function call's request, response and shared state.
#[derive(Clone)]
pub struct Call {
    pub state: AppState,
    parts: Parts,
    response: ResponseOptions,
}

impl Call {
    /// Must run before the function's first `.await`.
    pub fn capture() -> Self {
        Self {
            state: expect_context(),
            parts: expect_context(),
            response: expect_context(),
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.clock.now()
    }

    pub fn meta(&self) -> RequestMeta {
        meta_from_parts(&self.parts)
    }

    /// An audit context with no signed-in actor (sign-up, sign-in, links).
    pub fn anonymous(&self) -> AuditContext {
        AuditContext::anonymous(self.meta())
    }

    pub fn audit_as(&self, user: &CurrentUser) -> AuditContext {
        user.audit(self.meta())
    }

    pub fn session_token(&self) -> Option<String> {
        session_cookie::read(&self.parts.headers)
    }

    /// The value of the request cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }

    pub fn append_header(&self, name: HeaderName, value: HeaderValue) {
        self.response.append_header(name, value);
    }

    /// The account behind this request's session cookie.
    pub async fn current_user(&self) -> Result<Option<CurrentUser>, AppError> {
        let Some(token) = self.session_token() else {
            return Ok(None);
        };
        server::accounts::session_user(&self.state.db, &token, self.now())
            .await
            .map_err(database)
    }

    /// The enrollee signed in (through the identity provider) on this browser.
    pub async fn current_beneficiary(
        &self,
    ) -> Result<Option<server::beneficiaries::SignedInBeneficiary>, AppError> {
        let Some(token) =
            session_cookie::read_named(&self.parts.headers, session_cookie::BENEFICIARY)
        else {
            return Ok(None);
        };
        server::beneficiaries::session(&self.state.db, &token, self.now())
            .await
            .map_err(database)
    }

    /// The signed-in enrollee, or [`AppError::Unauthorized`].
    pub async fn require_beneficiary(
        &self,
    ) -> Result<server::beneficiaries::SignedInBeneficiary, AppError> {
        self.current_beneficiary()
            .await?
            .ok_or(AppError::Unauthorized)
    }

    /// The enrollee session token presented by the browser.
    pub fn beneficiary_session_token(&self) -> Option<String> {
        session_cookie::read_named(&self.parts.headers, session_cookie::BENEFICIARY)
    }

    /// The signed-in account, or [`AppError::Unauthorized`].
    pub async fn require_user(&self) -> Result<CurrentUser, AppError> {
        self.current_user().await?.ok_or(AppError::Unauthorized)
    }

    /// The signed-in admin, or an error; checked by every admin server function.
    pub async fn require_admin(&self) -> Result<CurrentUser, AppError> {
        let user = self.require_user().await?;
        if user.role == Role::Admin {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The signed-in reviewer (or admin), or an error; checked by every reviewer server function.
    pub async fn require_reviewer(&self) -> Result<CurrentUser, AppError> {
        let user = self.require_user().await?;
        if user.role.can_review() {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn session_ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.state.settings.session_ttl)
            .unwrap_or(chrono::Duration::hours(12))
    }

    pub fn set_session_cookie(&self, token: &str, expires_at: chrono::DateTime<chrono::Utc>) {
        let secure = self.state.settings.secure_cookies();
        let cookie = session_cookie::set(token, expires_at, self.now(), secure);
        self.response.append_header(SET_COOKIE, cookie);
    }

    pub fn clear_session_cookie(&self) {
        self.response.append_header(
            SET_COOKIE,
            session_cookie::clear(self.state.settings.secure_cookies()),
        );
    }

    /// Wakes the mail worker after a transaction queued email.
    /// Hands a service the links and the mail-worker wake it needs to tell
    /// people what happened; once dropped, the worker is woken if mail was queued.
    pub fn notifier(&self) -> server::notifications::Notifier {
        self.state.notifier()
    }

    pub fn redirect(&self, path: &str) {
        redirect(&self.parts, &self.response, path);
    }
}

/// `leptos_axum::redirect` with the request captured up front: a real 302 for
/// plain form posts and page loads (they accept HTML), otherwise a header the
/// hydrated client follows with client-side navigation.
pub fn redirect(parts: &Parts, response: &ResponseOptions, path: &str) {
    let Ok(location) = HeaderValue::from_str(path) else {
        return;
    };
    response.insert_header(LOCATION, location);
    let accepts_html = parts
        .headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if accepts_html {
        response.set_status(StatusCode::FOUND);
    } else {
        response.insert_header(
            HeaderName::from_static(leptos::server_fn::redirect::REDIRECT_HEADER),
            HeaderValue::from_static(""),
        );
    }
}

pub fn fields(errors: FieldErrors) -> AppError {
    AppError::Fields(errors.into_map())
}

pub fn internal(error: impl std::fmt::Display) -> AppError {
    tracing::error!(%error, "server function failed");
    AppError::Internal
}

/// A database error: 503 when the database could not be reached in time
/// (the caller may try again), otherwise ours (500).
pub fn database(error: server::sea_orm::DbErr) -> AppError {
    if server::db::is_unavailable(&error) {
        tracing::warn!(%error, "server function: database unavailable");
        AppError::Unavailable
    } else {
        internal(error)
    }
}

/// The user-facing form of what every feature can refuse or fail with;
/// `not_found` says what could not be found, in the feature's words.
pub fn common(error: server::errors::Common, not_found: &str) -> AppError {
    use server::errors::Common;
    match error {
        Common::Forbidden => AppError::Forbidden,
        Common::NotFound => AppError::Message(not_found.into()),
        Common::Invalid(errors) => fields(errors),
        Common::Db(e) => database(e),
    }
}

impl Call {
    /// A refusal because the password checks are all busy: 429 with
    /// `Retry-After`, so that scripts back off and people see why.
    pub fn too_busy(&self) -> AppError {
        self.response.set_status(StatusCode::TOO_MANY_REQUESTS);
        self.response.insert_header(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from_static("2"),
        );
        AppError::Message(
            "Many sign-ins are being checked right now. Wait a few seconds and try again.".into(),
        )
    }

    /// Spends one of the caller's address's account actions (sign-in of any
    /// kind, sign-up, reset request, verification resend). Past the limit:
    /// 429 with `Retry-After`, before any password is hashed or email sent.
    /// Lockout protects each account; this protects the server and every
    /// account at once from one source trying many.
    pub fn throttle_account_action(&self) -> Result<(), AppError> {
        use server::http::rate_limit::network_of;
        let Some(ip) = server::http::request::client_ip(&self.parts.extensions) else {
            return Ok(());
        };
        let verdict = self.state.limits.account_per_ip.check(&network_of(ip));
        if verdict.allowed {
            return Ok(());
        }
        let wait = verdict.retry_after.max(1);
        self.response.set_status(StatusCode::TOO_MANY_REQUESTS);
        self.response
            .insert_header(axum::http::header::RETRY_AFTER, HeaderValue::from(wait));
        tracing::warn!(%ip, "account actions from this address are being throttled");
        Err(AppError::Message(format!(
            "Too many attempts from your network in the last minute. Wait {wait} seconds and try again."
        )))
    }

    /// The user-facing form of an account service error.
    pub fn account_error(&self, error: AccountError) -> AppError {
        match error {
            AccountError::Busy => self.too_busy(),
            other => account_error(other),
        }
    }
}

/// The user-facing form of an account service error (see [`Call::account_error`]).
fn account_error(error: AccountError) -> AppError {
    match error {
        AccountError::Common(c) => common(c, "We could not find that account."),
        // One answer for both, so that it does not tell a stranger which
        // emails have accounts; the owner of a paused account is emailed.
        AccountError::InvalidCredentials | AccountError::Locked { .. } => AppError::Message(
            "That email and password do not match an account. After 5 failed attempts sign-in pauses for 15 minutes; reset your password to get in sooner.".into(),
        ),
        AccountError::Link(problem) => AppError::Message(problem.to_string()),
        AccountError::Busy => AppError::Message("Too many sign-ins at once.".into()),
        AccountError::NoSignInInProgress => AppError::Message(
            "This sign-in has expired. Sign in again with your email and password.".into(),
        ),
        AccountError::NotAllowed(why) => AppError::Message(why.into()),
        AccountError::Sealed(e) => internal(e),
    }
}
