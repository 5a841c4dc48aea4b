//! Accounts: sign-up, email verification, sign-in with lockout, sessions,
//! password reset and change, and accounts created by administrators.
//!
//! Every function that changes state runs in one transaction that also writes
//! its audit record and queues its email, so either all of it happens or none.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::{
    audit::{self, AuditContext, AuditRecord, RequestMeta},
    entities::{account, account_link, session},
    errors::Common,
    ids::{AccountId, Email, Role},
    notifications::{Notice, Notifier, Person},
    passwords,
    secrets::Secret,
    sign_in_stage::{self, SignInStage},
    validation::FieldErrors,
};

/// The API Terms of Service version a new account accepts.
pub const CURRENT_TERMS_VERSION: &str = "2019-11-14";
pub const VERIFY_LINK_TTL: Duration = Duration::days(7);
pub const RESET_LINK_TTL: Duration = Duration::hours(1);
pub const SET_PASSWORD_LINK_TTL: Duration = Duration::days(7);
pub const MAX_FAILED_LOGINS: i32 = 5;
pub const LOCKOUT: Duration = Duration::minutes(15);
/// Emails that anyone may make us send to one account in an hour without
/// signing in: password resets and notices of a sign-up with its email. More
/// are answered as usual but not sent, so that no one can flood an inbox or
/// grow the outbox without bound from many addresses.
pub const UNREQUESTED_MAIL_PER_HOUR: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Refusals and failures every feature has; see [`crate::errors`].
    #[error(transparent)]
    Common(Common),
    #[error("the email or password is not right")]
    InvalidCredentials,
    #[error("sign-in is paused until {until}")]
    Locked { until: DateTime<Utc> },
    #[error("{0}")]
    Link(LinkProblem),
    /// Too many password checks at once (see `passwords::Busy`).
    #[error("too many sign-ins at once")]
    Busy,
    /// A second-factor step with no sign-in in progress (expired or never begun).
    #[error("no sign-in is waiting for a second factor")]
    NoSignInInProgress,
    /// Something the account's role does not allow (staff turning off two-step sign-in).
    #[error("{0}")]
    NotAllowed(&'static str),
    #[error(transparent)]
    Sealed(#[from] crate::secrets::Unsealable),
}

crate::wraps_common!(AccountError);

impl From<passwords::Busy> for AccountError {
    fn from(_: passwords::Busy) -> Self {
        AccountError::Busy
    }
}

/// Why an emailed link did not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("This link is not valid. Check that you copied the whole address.")]
    Unknown,
    #[error("This link has expired. Ask for a new one.")]
    Expired,
    #[error("This link was already used. Ask for a new one if you still need it.")]
    Used,
}

/// What an emailed link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    VerifyEmail,
    ResetPassword,
    SetPassword,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::VerifyEmail => "verify_email",
            LinkPurpose::ResetPassword => "reset_password",
            LinkPurpose::SetPassword => "set_password",
        }
    }
}

/// The signed-in account, as pages and server functions see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: AccountId,
    pub email: String,
    pub name: String,
    pub organization: String,
    pub role: Role,
    pub verified: bool,
}

impl CurrentUser {
    fn from_model(m: &account::Model) -> Self {
        Self {
            id: AccountId(m.id),
            email: m.email.clone(),
            name: m.name.clone(),
            organization: m.organization.clone(),
            role: Role::parse(&m.role).unwrap_or(Role::Developer),
            verified: m.verified_at.is_some(),
        }
    }

    pub fn audit(&self, meta: RequestMeta) -> AuditContext {
        AuditContext {
            actor: Some((self.id, self.role)),
            meta,
        }
    }
}

/// A new session's cookie value and when it stops working.
#[derive(Debug)]
pub struct NewSession {
    pub token: Secret,
    pub expires_at: DateTime<Utc>,
    /// What the session still needs before it is signed in.
    pub stage: SignInStage,
    pub user: CurrentUser,
}

/// The sign-up form.
#[derive(Clone, Debug, Validate)]
pub struct SignUp {
    #[validate(length(
        min = 1,
        max = 200,
        message = "Enter your full name (up to 200 characters)."
    ))]
    pub name: String,
    pub email: String,
    #[validate(length(
        min = 1,
        max = 200,
        message = "Enter your organization's name (up to 200 characters)."
    ))]
    pub organization: String,
    pub password: String,
    pub password_confirm: String,
    pub accept_terms: bool,
}

fn check_new_password(
    errors: &mut FieldErrors,
    password: &str,
    confirm: &str,
    email: &str,
    name: &str,
) {
    if let Some(problem) = passwords::weakness(password, email, name) {
        errors.add("password", problem);
    }
    if password != confirm {
        errors.add("password_confirm", "The two passwords do not match.");
    }
}

fn account_snapshot(m: &account::Model) -> serde_json::Value {
    serde_json::json!({
        "email": m.email, "name": m.name, "organization": m.organization, "role": m.role,
        "verified": m.verified_at.is_some(), "locked_until": m.locked_until,
    })
}

/// The columns that differ between ways of creating an account.
struct NewAccountRow<'a> {
    email: &'a Email,
    name: &'a str,
    organization: &'a str,
    password_hash: Option<String>,
    role: Role,
    verified: bool,
    accepts_terms: bool,
}

fn account_row(id: Uuid, new: NewAccountRow<'_>, now: DateTime<Utc>) -> account::ActiveModel {
    account::ActiveModel {
        id: Set(id),
        email: Set(new.email.as_str().to_string()),
        name: Set(new.name.trim().to_string()),
        organization: Set(new.organization.trim().to_string()),
        password_hash: Set(new.password_hash),
        role: Set(new.role.as_str().into()),
        verified_at: Set(new.verified.then_some(now)),
        tos_version: Set(new.accepts_terms.then(|| CURRENT_TERMS_VERSION.to_string())),
        tos_accepted_at: Set(new.accepts_terms.then_some(now)),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        unrequested_mail_window: Set(None),
        unrequested_mail_count: Set(0),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
        totp_pending: Set(None),
    }
}

/// The account's mail window after one more unrequested email, or `None`
/// when the window's allowance is spent. Fixed windows of an hour: at most
/// twice the allowance can arrive within any hour, which still bounds it.
fn unrequested_mail_window_after_one_more(
    window: Option<DateTime<Utc>>,
    count: i32,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, i32)> {
    match window {
        Some(started) if now >= started && now - started < Duration::hours(1) => {
            (count < UNREQUESTED_MAIL_PER_HOUR).then_some((started, count + 1))
        }
        _ => Some((now, 1)),
    }
}

/// Takes one from the account's allowance of unrequested emails, inside the
/// caller's transaction (on the locked row, so parallel requests all count);
/// false when the allowance is spent and nothing may be sent.
async fn take_unrequested_mail_allowance(
    txn: &impl ConnectionTrait,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(account) = account::Entity::find_by_id(account_id)
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    let Some((window, count)) = unrequested_mail_window_after_one_more(
        account.unrequested_mail_window,
        account.unrequested_mail_count,
        now,
    ) else {
        tracing::info!(account = %account_id, "unrequested email not sent: the hour's allowance is spent");
        return Ok(false);
    };
    let mut row = account.into_active_model();
    row.unrequested_mail_window = Set(Some(window));
    row.unrequested_mail_count = Set(count);
    row.update(txn).await?;
    Ok(true)
}

async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::Email.eq(email.as_str()))
        .one(db)
        .await
}

async fn create_link(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    purpose: LinkPurpose,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<Secret, DbErr> {
    let token = Secret::generate();
    account_link::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(token.digest().as_str().to_string()),
        account_id: Set(account_id),
        purpose: Set(purpose.as_str().into()),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Marks the link used and returns it; the conditional update makes a link
/// work exactly once even when two requests present it at the same moment.
async fn consume_link(
    db: &impl ConnectionTrait,
    token: &str,
    purposes: &[LinkPurpose],
    now: DateTime<Utc>,
) -> Result<account_link::Model, AccountError> {
    let digest = Secret::from_presented(token).digest();
    let link = account_link::Entity::find()
        .filter(account_link::Column::TokenHash.eq(digest.as_str()))
        .one(db)
        .await?
        .filter(|l| purposes.iter().any(|p| p.as_str() == l.purpose))
        .ok_or(AccountError::Link(LinkProblem::Unknown))?;
    if link.used_at.is_some() {
        return Err(AccountError::Link(LinkProblem::Used));
    }
    if link.expires_at <= now {
        return Err(AccountError::Link(LinkProblem::Expired));
    }
    let claimed = account_link::Entity::update_many()
        .col_expr(account_link::Column::UsedAt, Expr::value(now))
        .filter(account_link::Column::Id.eq(link.id))
        .filter(account_link::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AccountError::Link(LinkProblem::Used));
    }
    Ok(link)
}

/// Checks a link without using it, so a page can say up front that it is stale.
pub async fn check_link(
    db: &DatabaseConnection,
    token: &str,
    purposes: &[LinkPurpose],
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let result = consume_link(&txn, token, purposes, now).await.map(|_| ());
    txn.rollback().await?;
    result
}

/// Starts a session; `second_factor` says whether it has already presented
/// one (a password change from a complete session keeps it complete).
async fn start_session(
    db: &impl ConnectionTrait,
    account: &account::Model,
    meta: &RequestMeta,
    now: DateTime<Utc>,
    ttl: Duration,
    second_factor: bool,
) -> Result<NewSession, DbErr> {
    let token = Secret::generate();
    let expires_at = now + ttl;
    session::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(token.digest().as_str().to_string()),
        account_id: Set(account.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ip: Set(meta.ip.clone()),
        user_agent: Set(meta.user_agent.clone()),
        second_factor_at: Set(second_factor.then_some(now)),
    }
    .insert(db)
    .await?;
    Ok(NewSession {
        token,
        expires_at,
        stage: sign_in_stage::stage_of(account, second_factor),
        user: CurrentUser::from_model(account),
    })
}

async fn end_all_sessions(db: &impl ConnectionTrait, account_id: Uuid) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Creates a developer account and emails a verification link.
pub async fn sign_up(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    form: SignUp,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<SignUpOutcome, AccountError> {
    let mut errors: FieldErrors = form.validate().err().map(Into::into).unwrap_or_default();
    let email = Email::parse(&form.email);
    if email.is_none() {
        errors.add(
            "email",
            "Enter a valid email address, like name@example.com.",
        );
    }
    check_new_password(
        &mut errors,
        &form.password,
        &form.password_confirm,
        &form.email,
        &form.name,
    );
    if !form.accept_terms {
        errors.add(
            "accept_terms",
            "You must accept the API Terms of Service to create an account.",
        );
    }
    errors.into_result()?;
    let email = email.expect("checked above");

    // Hashed whether or not the email is taken, so that both answers take
    // the same time.
    let password_hash = passwords::hash_off_runtime(&form.password).await?;
    if let Some(existing) = find_by_email(db, &email).await? {
        let txn = crate::db::begin_write(db).await?;
        if !take_unrequested_mail_allowance(&txn, existing.id, now).await? {
            return Ok(SignUpOutcome::AlreadyRegistered);
        }
        let to = Person {
            email: &existing.email,
            name: &existing.name,
        };
        notifier
            .send(&txn, Notice::SignUpWithExistingEmail { to }, now)
            .await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("account.sign_up_existing_email", "account", existing.id),
        )
        .await?;
        txn.commit().await?;
        return Ok(SignUpOutcome::AlreadyRegistered);
    }
    let txn = crate::db::begin_write(db).await?;
    let id = Uuid::new_v4();
    let row = NewAccountRow {
        email: &email,
        name: &form.name,
        organization: &form.organization,
        password_hash: Some(password_hash),
        role: Role::Developer,
        verified: false,
        accepts_terms: true,
    };
    let created = account_row(id, row, now)
        .insert(&txn)
        .await
        .map_err(|e| match e.sql_err() {
            // Two sign-ups with one email racing past the check above.
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                let mut errors = FieldErrors::new();
                errors.add(
                    "email",
                    "An account with this email already exists. Sign in, or reset your password.",
                );
                AccountError::from(errors)
            }
            _ => AccountError::from(e),
        })?;
    let token = create_link(&txn, id, LinkPurpose::VerifyEmail, VERIFY_LINK_TTL, now).await?;
    let to = Person {
        email: &created.email,
        name: &created.name,
    };
    notifier
        .send(
            &txn,
            Notice::VerifyEmail {
                to,
                token: token.expose(),
            },
            now,
        )
        .await?;
    let actor = ctx.as_actor(AccountId(id), Role::Developer);
    audit::record(
        &txn,
        &actor,
        now,
        AuditRecord::new("account.sign_up", "account", id).after(serde_json::json!({
            "account": account_snapshot(&created),
            "terms_version": CURRENT_TERMS_VERSION,
            "terms_accepted_at": now,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(SignUpOutcome::Created(AccountId(id)))
}

/// What a sign-up did. Both are answered alike ("check your email"): the
/// owner of an existing account is emailed instead of the visitor being told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignUpOutcome {
    Created(AccountId),
    AlreadyRegistered,
}

/// Sends a fresh verification link to a signed-in account that is not verified yet.
pub async fn resend_verification(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    account: AccountId,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let model = account::Entity::find_by_id(account.0)
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    if model.verified_at.is_some() {
        return Ok(());
    }
    let token = create_link(
        &txn,
        model.id,
        LinkPurpose::VerifyEmail,
        VERIFY_LINK_TTL,
        now,
    )
    .await?;
    let to = Person {
        email: &model.email,
        name: &model.name,
    };
    notifier
        .send(
            &txn,
            Notice::VerifyEmail {
                to,
                token: token.expose(),
            },
            now,
        )
        .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("account.verification_resent", "account", model.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Marks the account's email as verified.
pub async fn verify_email(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccountId, AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let link = consume_link(&txn, token, &[LinkPurpose::VerifyEmail], now).await?;
    let model = account::Entity::find_by_id(link.account_id)
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    let role = Role::parse(&model.role).unwrap_or(Role::Developer);
    if model.verified_at.is_none() {
        let mut row = model.into_active_model();
        row.verified_at = Set(Some(now));
        row.updated_at = Set(now);
        row.update(&txn).await?;
    }
    audit::record(
        &txn,
        &ctx.as_actor(AccountId(link.account_id), role),
        now,
        AuditRecord::new("account.email_verified", "account", link.account_id)
            .before(serde_json::json!({ "verified": false }))
            .after(serde_json::json!({ "verified": true })),
    )
    .await?;
    txn.commit().await?;
    Ok(AccountId(link.account_id))
}

/// Signs in: checks the password, applies the lockout rule, starts a new session.
pub async fn log_in(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    email: &str,
    password: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
    session_ttl: Duration,
) -> Result<NewSession, AccountError> {
    let parsed = Email::parse(email);
    let account = match &parsed {
        Some(email) => find_by_email(db, email).await?,
        None => None,
    };
    let Some(account) = account else {
        passwords::verify_decoy_off_runtime(password).await?;
        let txn = crate::db::begin_write(db).await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord { action: "account.login_failed", target_type: "account", target_id: None, before: None,
                after: Some(serde_json::json!({ "email": email.trim().to_lowercase(), "reason": "unknown email" })) },
        )
        .await?;
        txn.commit().await?;
        return Err(AccountError::InvalidCredentials);
    };
    // A paused account is checked like any other (the pause is decided in
    // the transaction below), so that it answers in the same time.
    let password_ok = match account.password_hash.as_deref() {
        Some(hash) => passwords::verify_off_runtime(password, hash).await?,
        None => false,
    };
    let role = Role::parse(&account.role).unwrap_or(Role::Developer);
    let actor = ctx.as_actor(AccountId(account.id), role);

    let txn = crate::db::begin_write(db).await?;
    // Re-read and lock the row inside the transaction so that concurrent
    // failures all count (SQLite's IMMEDIATE transaction already serialises).
    let account = account::Entity::find_by_id(account.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    // The lock is decided on this locked row, not on the read above: a
    // parallel guess may have locked the account since, and then neither a
    // right password nor another failure may pass or reset it.
    if let Some(until) = account.locked_until.filter(|until| *until > now) {
        txn.rollback().await?;
        return Err(AccountError::Locked { until });
    }
    if !password_ok {
        let error = count_failed_sign_in(&txn, &actor, &account, "password", notifier, now).await?;
        txn.commit().await?;
        return Err(error);
    }
    let account = if account.failed_logins != 0 || account.locked_until.is_some() {
        let mut row = account.into_active_model();
        row.failed_logins = Set(0);
        row.locked_until = Set(None);
        row.updated_at = Set(now);
        row.update(&txn).await?
    } else {
        account
    };
    let session = start_session(&txn, &account, &ctx.meta, now, session_ttl, false).await?;
    audit::record(
        &txn,
        &actor,
        now,
        AuditRecord::new("account.login", "account", account.id),
    )
    .await?;
    txn.commit().await?;
    Ok(session)
}

/// Counts one failed sign-in step (a wrong password, or a wrong second-factor
/// code) on the account row the caller has locked, pausing sign-in after
/// [`MAX_FAILED_LOGINS`] in a row. Returns the error to answer with.
pub(crate) async fn count_failed_sign_in(
    txn: &impl ConnectionTrait,
    actor: &AuditContext,
    account: &account::Model,
    step: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<AccountError, DbErr> {
    let failures = account.failed_logins + 1;
    let locks = failures >= MAX_FAILED_LOGINS;
    let mut row = account.clone().into_active_model();
    row.failed_logins = Set(if locks { 0 } else { failures });
    if locks {
        row.locked_until = Set(Some(now + LOCKOUT));
    }
    row.updated_at = Set(now);
    row.update(txn).await?;
    audit::record(
        txn,
        actor,
        now,
        AuditRecord::new("account.login_failed", "account", account.id)
            .after(serde_json::json!({ "failed_logins": failures, "step": step })),
    )
    .await?;
    if !locks {
        return Ok(AccountError::InvalidCredentials);
    }
    audit::record(
        txn,
        actor,
        now,
        AuditRecord::new("account.locked", "account", account.id)
            .after(serde_json::json!({ "locked_until": now + LOCKOUT })),
    )
    .await?;
    let to = Person {
        email: &account.email,
        name: &account.name,
    };
    let minutes = LOCKOUT.num_minutes();
    notifier
        .send(txn, Notice::AccountLocked { to, minutes }, now)
        .await?;
    Ok(AccountError::Locked {
        until: now + LOCKOUT,
    })
}

/// The account behind a session cookie, if the session is current and
/// signed in: a session still waiting for its second factor (or, for staff,
/// for one to be set up) is not, so no page or action accepts it.
pub async fn session_user(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<CurrentUser>, DbErr> {
    Ok(session_with_account(db, token, now)
        .await?
        .filter(|(session, account)| {
            sign_in_stage::stage_of(account, session.second_factor_at.is_some())
                == SignInStage::SignedIn
        })
        .map(|(_, account)| CurrentUser::from_model(&account)))
}

/// The current session behind a cookie and its account, at whatever stage.
pub(crate) async fn session_with_account(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(session::Model, account::Model)>, DbErr> {
    let digest = Secret::from_presented(token).digest();
    let Some(found) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(digest.as_str()))
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(account::Entity::find_by_id(found.account_id)
        .one(db)
        .await?
        .map(|account| (found, account)))
}

/// The account with this email, as a [`CurrentUser`] (CLI and scripted set-ups).
pub async fn find_user(db: &DatabaseConnection, email: &str) -> Result<Option<CurrentUser>, DbErr> {
    let Some(email) = Email::parse(email) else {
        return Ok(None);
    };
    Ok(find_by_email(db, &email)
        .await?
        .map(|m| CurrentUser::from_model(&m)))
}

/// Ends the session behind `token`.
pub async fn log_out(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let digest = Secret::from_presented(token).digest();
    let txn = crate::db::begin_write(db).await?;
    let Some(found) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(digest.as_str()))
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    session::Entity::delete_by_id(found.id).exec(&txn).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("account.logout", "account", found.account_id),
    )
    .await?;
    txn.commit().await
}

/// Emails a reset link if the address belongs to an account. Says nothing
/// either way, so the form cannot be used to find out who has an account.
pub async fn request_password_reset(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    email: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let Some(email) = Email::parse(email) else {
        let mut errors = FieldErrors::new();
        errors.add(
            "email",
            "Enter a valid email address, like name@example.com.",
        );
        return Err(errors.into());
    };
    let Some(account) = find_by_email(db, &email).await? else {
        return Ok(());
    };
    let txn = crate::db::begin_write(db).await?;
    if !take_unrequested_mail_allowance(&txn, account.id, now).await? {
        return Ok(());
    }
    let token = create_link(
        &txn,
        account.id,
        LinkPurpose::ResetPassword,
        RESET_LINK_TTL,
        now,
    )
    .await?;
    let to = Person {
        email: &account.email,
        name: &account.name,
    };
    notifier
        .send(
            &txn,
            Notice::PasswordReset {
                to,
                token: token.expose(),
            },
            now,
        )
        .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("account.password_reset_requested", "account", account.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a new password through a reset (or set-password) link: ends every
/// session, lifts any lockout, and — since the link proved the address — verifies it.
pub async fn reset_password(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    token: &str,
    password: &str,
    password_confirm: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<AccountId, AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let link = consume_link(
        &txn,
        token,
        &[LinkPurpose::ResetPassword, LinkPurpose::SetPassword],
        now,
    )
    .await?;
    let account = account::Entity::find_by_id(link.account_id)
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    let mut errors = FieldErrors::new();
    check_new_password(
        &mut errors,
        password,
        password_confirm,
        &account.email,
        &account.name,
    );
    // Dropping the transaction un-uses the link, so a weak password does not burn it.
    errors.into_result()?;
    let role = Role::parse(&account.role).unwrap_or(Role::Developer);
    let before = account_snapshot(&account);
    let mut row = account.clone().into_active_model();
    row.password_hash = Set(Some(passwords::hash_off_runtime(password).await?));
    row.failed_logins = Set(0);
    row.locked_until = Set(None);
    row.verified_at = Set(account.verified_at.or(Some(now)));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let ended = end_all_sessions(&txn, account.id).await?;
    // Every other reset link ends with this one: a link sent earlier (and
    // perhaps read by someone else in the owner's mailbox) must not undo
    // the password just chosen.
    let other_links = account_link::Entity::update_many()
        .col_expr(account_link::Column::UsedAt, Expr::value(now))
        .filter(account_link::Column::AccountId.eq(account.id))
        .filter(account_link::Column::Purpose.is_in([
            LinkPurpose::ResetPassword.as_str(),
            LinkPurpose::SetPassword.as_str(),
        ]))
        .filter(account_link::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let to = Person {
        email: &account.email,
        name: &account.name,
    };
    notifier
        .send(&txn, Notice::PasswordChanged { to }, now)
        .await?;
    audit::record(
        &txn,
        &ctx.as_actor(AccountId(account.id), role),
        now,
        AuditRecord::new("account.password_reset", "account", account.id)
            .before(before)
            .after(serde_json::json!({
                "account": account_snapshot(&updated),
                "sessions_ended": ended,
                "other_reset_links_ended": other_links,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(AccountId(account.id))
}

/// Changes the password of a signed-in account after checking the current one.
/// Every session ends and a new one is returned, so the caller stays signed in
/// on this device only.
pub async fn change_password(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    user: AccountId,
    current: &str,
    password: &str,
    password_confirm: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
    session_ttl: Duration,
) -> Result<NewSession, AccountError> {
    let account = account::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    let mut errors = FieldErrors::new();
    let current_ok = match account.password_hash.as_deref() {
        Some(hash) => passwords::verify_off_runtime(current, hash).await?,
        None => false,
    };
    if !current_ok {
        errors.add("current_password", "Your current password is not right.");
    }
    check_new_password(
        &mut errors,
        password,
        password_confirm,
        &account.email,
        &account.name,
    );
    if current == password && errors.get("password").is_none() {
        errors.add(
            "password",
            "Choose a password different from your current one.",
        );
    }
    errors.into_result()?;
    let hash = passwords::hash_off_runtime(password).await?;
    let txn = crate::db::begin_write(db).await?;
    let mut row = account.clone().into_active_model();
    row.password_hash = Set(Some(hash));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let ended = end_all_sessions(&txn, account.id).await?;
    let session = start_session(&txn, &updated, &ctx.meta, now, session_ttl, true).await?;
    let to = Person {
        email: &account.email,
        name: &account.name,
    };
    notifier
        .send(&txn, Notice::PasswordChanged { to }, now)
        .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("account.password_changed", "account", account.id)
            .after(serde_json::json!({ "sessions_ended": ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(session)
}

/// An account made by an administrator (CLI or admin page).
#[derive(Clone, Debug)]
pub struct NewStaffAccount {
    pub email: String,
    pub name: String,
    pub organization: String,
    pub role: Role,
}

/// Creates an account with no password and returns a one-time link (7 days)
/// for its owner to choose one; the link is also emailed.
pub async fn create_account(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    input: NewStaffAccount,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(AccountId, String), AccountError> {
    let mut errors = FieldErrors::new();
    let email = Email::parse(&input.email);
    if email.is_none() {
        errors.add(
            "email",
            "Enter a valid email address, like name@example.com.",
        );
    }
    if input.name.trim().is_empty() {
        errors.add("name", "Enter the person's name.");
    }
    if let Some(email) = &email {
        if find_by_email(db, email).await?.is_some() {
            errors.add("email", "An account with this email already exists.");
        }
    }
    errors.into_result()?;
    let email = email.expect("checked above");
    let txn = crate::db::begin_write(db).await?;
    let id = Uuid::new_v4();
    let row = NewAccountRow {
        email: &email,
        name: &input.name,
        organization: &input.organization,
        password_hash: None,
        role: input.role,
        verified: false,
        accepts_terms: false,
    };
    let created = account_row(id, row, now).insert(&txn).await?;
    let token = create_link(
        &txn,
        id,
        LinkPurpose::SetPassword,
        SET_PASSWORD_LINK_TTL,
        now,
    )
    .await?;
    let to = Person {
        email: &created.email,
        name: &created.name,
    };
    let (role, token_text) = (input.role.as_str(), token.expose());
    notifier
        .send(
            &txn,
            Notice::SetPassword {
                to,
                role,
                token: token_text,
            },
            now,
        )
        .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("account.created", "account", id).after(account_snapshot(&created)),
    )
    .await?;
    txn.commit().await?;
    Ok((AccountId(id), notifier.links().reset_password(token_text)))
}

/// Creates a verified account with a known password (demo data and tests only).
pub async fn create_verified_account(
    db: &DatabaseConnection,
    input: NewStaffAccount,
    password: &str,
    now: DateTime<Utc>,
) -> Result<AccountId, AccountError> {
    let email = Email::parse(&input.email).ok_or_else(|| {
        let mut errors = FieldErrors::new();
        errors.add("email", "Enter a valid email address.");
        AccountError::from(errors)
    })?;
    if let Some(existing) = find_by_email(db, &email).await? {
        return Ok(AccountId(existing.id));
    }
    let txn = crate::db::begin_write(db).await?;
    let id = Uuid::new_v4();
    let row = NewAccountRow {
        email: &email,
        name: &input.name,
        organization: &input.organization,
        // Scripted set-ups only (the CLI, tests): no anonymous caller reaches it.
        password_hash: Some(passwords::hash(password)),
        role: input.role,
        verified: true,
        accepts_terms: true,
    };
    let created = account_row(id, row, now).insert(&txn).await?;
    audit::record(
        &txn,
        &AuditContext::default(),
        now,
        AuditRecord::new("account.created", "account", id).after(account_snapshot(&created)),
    )
    .await?;
    txn.commit().await?;
    Ok(AccountId(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrequested_mail_is_capped_per_hour_and_the_window_starts_again() {
        let start = DateTime::parse_from_rfc3339("2031-03-04T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let (mut window, mut count) = (None, 0);
        for sent in 1..=UNREQUESTED_MAIL_PER_HOUR {
            let now = start + Duration::minutes(sent.into());
            (window, count) = unrequested_mail_window_after_one_more(window, count, now)
                .map(|(w, c)| (Some(w), c))
                .expect("within the allowance");
            assert_eq!((window, count), (Some(start + Duration::minutes(1)), sent));
        }
        let late_in_window = start + Duration::minutes(60);
        assert_eq!(
            unrequested_mail_window_after_one_more(window, count, late_in_window),
            None
        );
        let next_window = start + Duration::minutes(61);
        assert_eq!(
            unrequested_mail_window_after_one_more(window, count, next_window),
            Some((next_window, 1))
        );
        // A window that starts in the future (the clock was set back) starts again.
        assert_eq!(
            unrequested_mail_window_after_one_more(window, count, start),
            Some((start, 1))
        );
    }
}
