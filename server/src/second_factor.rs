//! Two-step sign-in: an authenticator app (TOTP, see [`crate::totp`]) and
//! one-time recovery codes, after the password (NIST SP 800-63B AAL2).
//!
//! Reviewers and admins must have it: their first sign-in sets it up, and a
//! staff session that has not presented it is not signed in at all. For
//! developers it is optional. The rule lives in [`stage`] (in
//! [`crate::sign_in_stage`], below both this module and `accounts`), and
//! [`crate::accounts::session_user`] accepts only [`SignInStage::SignedIn`]
//! sessions, so no page or action can forget to check.
//!
//! A sign-in in progress is an ordinary session row whose `second_factor_at`
//! is empty; presenting the factor stamps it and replaces the session token
//! (the cookie an attacker might have seen before the second step stops
//! working). Wrong codes count towards the same lockout as wrong passwords.
//! Turning the factor on, off, resetting it and using a recovery code are
//! each audited and emailed to the account's owner.
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    accounts::{count_failed_sign_in, session_with_account, AccountError},
    audit::{self, AuditContext, AuditRecord},
    entities::{account, recovery_code, session},
    errors::Common,
    ids::{AccountId, Role},
    notifications::{Notice, Notifier, Person},
    secrets::{SealingKey, Secret},
    totp::{self, TotpSecret},
    validation::FieldErrors,
};

pub use crate::sign_in_stage::{stage, stage_of, SignInStage};

/// Recovery codes issued at enrolment; each works once.
pub const RECOVERY_CODES: usize = 10;
/// How long a sign-in may wait at the second step before starting over.
pub const SECOND_STEP_TTL: Duration = Duration::minutes(10);
/// The issuer shown in authenticator apps.
const ISSUER: &str = "Blue Button 2.0 API portal";

/// A session part-way through signing in.
#[derive(Clone, Debug)]
pub struct SignInInProgress {
    pub account_id: AccountId,
    pub email: String,
    pub stage: SignInStage,
}

/// The session behind `token` if it is still waiting at the second step, or
/// (for [`begin_enrolment`] from the account page) signed in.
pub async fn in_progress(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<SignInInProgress>, AccountError> {
    let Some((session, account)) = session_with_account(db, token, now).await? else {
        return Ok(None);
    };
    let stage = stage_of(&account, session.second_factor_at.is_some());
    if stage != SignInStage::SignedIn && session.created_at + SECOND_STEP_TTL <= now {
        return Ok(None);
    }
    Ok(Some(SignInInProgress {
        account_id: AccountId(account.id),
        email: account.email,
        stage,
    }))
}

/// What the set-up page shows: the key to type or the link to open, and the
/// recovery codes to keep. Shown again unchanged until confirmed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Enrolment {
    /// The base32 key in groups of four, as people type it.
    pub key: String,
    /// The `otpauth://` URI (what a QR code would hold).
    pub uri: String,
    pub recovery_codes: Vec<String>,
}

/// What is sealed in `accounts.totp_pending` until the first code confirms it.
#[derive(Serialize, Deserialize)]
struct PendingEnrolment {
    secret: String,
    recovery_codes: Vec<String>,
}

/// A recovery code: 80 random bits as 16 base32 letters in groups of four.
fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase();
    group(&text, 4)
}

fn group(text: &str, size: usize) -> String {
    text.as_bytes()
        .chunks(size)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A recovery code as typed (any case, with or without dashes and spaces),
/// reduced to the form whose digest is stored.
fn normalised_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn recovery_digest(code: &str) -> String {
    Secret::from_presented(&normalised_recovery_code(code))
        .digest()
        .as_str()
        .to_string()
}

fn enrolment_view(email: &str, pending: &PendingEnrolment) -> Result<Enrolment, AccountError> {
    let secret = TotpSecret::from_base32(&pending.secret).ok_or(crate::secrets::Unsealable)?;
    Ok(Enrolment {
        key: group(&pending.secret, 4).replace('-', " "),
        uri: secret.provisioning_uri(ISSUER, email),
        recovery_codes: pending.recovery_codes.clone(),
    })
}

/// Starts (or shows again) setting up an authenticator for the session's
/// account: staff at their first sign-in, developers from their account page.
pub async fn begin_enrolment(
    db: &DatabaseConnection,
    key: &SealingKey,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Enrolment, AccountError> {
    let progress = in_progress(db, token, now)
        .await?
        .filter(|p| p.stage != SignInStage::NeedsCode)
        .ok_or(AccountError::NoSignInInProgress)?;
    let txn = crate::db::begin_write(db).await?;
    let account = account::Entity::find_by_id(progress.account_id.0)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    if account.totp_enabled_at.is_some() {
        txn.rollback().await?;
        return Err(AccountError::NotAllowed(
            "Two-step sign-in is already on for this account.",
        ));
    }
    if let Some(sealed) = &account.totp_pending {
        let pending: PendingEnrolment = serde_json::from_slice(&key.open(account.id, sealed)?)
            .map_err(|_| crate::secrets::Unsealable)?;
        txn.rollback().await?;
        return enrolment_view(&account.email, &pending);
    }
    let pending = PendingEnrolment {
        secret: TotpSecret::generate().to_base32(),
        recovery_codes: (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect(),
    };
    let sealed = key.seal(
        account.id,
        &serde_json::to_vec(&pending).expect("plain strings serialise"),
    );
    let email = account.email.clone();
    let mut row = account.into_active_model();
    row.totp_pending = Set(Some(sealed));
    row.updated_at = Set(now);
    row.update(&txn).await?;
    txn.commit().await?;
    enrolment_view(&email, &pending)
}

/// A session that has just presented its second factor, under a new token.
#[derive(Debug)]
pub struct Completed {
    pub token: Secret,
    pub expires_at: DateTime<Utc>,
}

fn wrong_code() -> AccountError {
    let mut errors = FieldErrors::new();
    errors.add(
        "code",
        "That code did not work. Enter the 6-digit code your authenticator app shows now (or one of your recovery codes).",
    );
    AccountError::from(errors)
}

/// Stamps the session as having presented its second factor and gives it a
/// new token.
async fn complete_session(
    txn: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Completed, AccountError> {
    let digest = Secret::from_presented(token).digest();
    let found = session::Entity::find()
        .filter(session::Column::TokenHash.eq(digest.as_str()))
        .one(txn)
        .await?
        .ok_or(AccountError::NoSignInInProgress)?;
    let fresh = Secret::generate();
    let expires_at = found.expires_at;
    let mut row = found.into_active_model();
    row.token_hash = Set(fresh.digest().as_str().to_string());
    row.second_factor_at = Set(Some(now));
    row.update(txn).await?;
    Ok(Completed {
        token: fresh,
        expires_at,
    })
}

/// Confirms an enrolment with the first code from the app: the secret and
/// the recovery codes take effect, and the session is signed in.
pub async fn confirm_enrolment(
    db: &DatabaseConnection,
    key: &SealingKey,
    ctx: &AuditContext,
    token: &str,
    code: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Completed, AccountError> {
    let progress = in_progress(db, token, now)
        .await?
        .filter(|p| p.stage != SignInStage::NeedsCode)
        .ok_or(AccountError::NoSignInInProgress)?;
    let txn = crate::db::begin_write(db).await?;
    let account = account::Entity::find_by_id(progress.account_id.0)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    let (Some(sealed), None) = (&account.totp_pending, account.totp_enabled_at) else {
        txn.rollback().await?;
        return Err(AccountError::NoSignInInProgress);
    };
    let pending: PendingEnrolment = serde_json::from_slice(&key.open(account.id, sealed)?)
        .map_err(|_| crate::secrets::Unsealable)?;
    let secret = TotpSecret::from_base32(&pending.secret).ok_or(crate::secrets::Unsealable)?;
    let Some(step) = totp::verify(&secret, code, now, None) else {
        txn.rollback().await?;
        return Err(wrong_code());
    };
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(account.id))
        .exec(&txn)
        .await?;
    for code in &pending.recovery_codes {
        recovery_code::ActiveModel {
            id: Set(Uuid::new_v4()),
            account_id: Set(account.id),
            code_hash: Set(recovery_digest(code)),
            created_at: Set(now),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    let role = Role::parse(&account.role).unwrap_or(Role::Developer);
    let actor = ctx.as_actor(AccountId(account.id), role);
    let (email, name) = (account.email.clone(), account.name.clone());
    let mut row = account.into_active_model();
    row.totp_secret = Set(Some(
        key.seal(progress.account_id.0, pending.secret.as_bytes()),
    ));
    row.totp_enabled_at = Set(Some(now));
    row.totp_last_step = Set(i64::try_from(step).ok());
    row.totp_pending = Set(None);
    row.updated_at = Set(now);
    row.update(&txn).await?;
    let completed = complete_session(&txn, token, now).await?;
    audit::record(
        &txn,
        &actor,
        now,
        AuditRecord::new(
            "account.second_factor_enabled",
            "account",
            progress.account_id.0,
        )
        .after(serde_json::json!({ "method": "totp", "recovery_codes": RECOVERY_CODES })),
    )
    .await?;
    let to = Person {
        email: &email,
        name: &name,
    };
    notifier
        .send(&txn, Notice::SecondFactorEnabled { to }, now)
        .await?;
    txn.commit().await?;
    Ok(completed)
}

/// What a presented code turned out to be.
enum Accepted {
    Totp(u64),
    Recovery(Uuid),
}

/// Checks `code` against the account's authenticator or unused recovery
/// codes (on the locked row, so a code works once even in parallel).
async fn accept(
    txn: &impl ConnectionTrait,
    key: &SealingKey,
    account: &account::Model,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<Accepted>, AccountError> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == totp::DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()) {
        let Some(sealed) = &account.totp_secret else {
            return Ok(None);
        };
        let secret =
            TotpSecret::from_base32(&String::from_utf8_lossy(&key.open(account.id, sealed)?))
                .ok_or(crate::secrets::Unsealable)?;
        let last = account.totp_last_step.and_then(|s| u64::try_from(s).ok());
        return Ok(totp::verify(&secret, &digits, now, last).map(Accepted::Totp));
    }
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(account.id))
        .filter(recovery_code::Column::CodeHash.eq(recovery_digest(code)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .one(txn)
        .await?
        .map(|found| Accepted::Recovery(found.id)))
}

/// The second step of signing in: a code from the app or a recovery code.
pub async fn present(
    db: &DatabaseConnection,
    key: &SealingKey,
    ctx: &AuditContext,
    token: &str,
    code: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Completed, AccountError> {
    let progress = in_progress(db, token, now)
        .await?
        .filter(|p| p.stage == SignInStage::NeedsCode)
        .ok_or(AccountError::NoSignInInProgress)?;
    let txn = crate::db::begin_write(db).await?;
    let account = account::Entity::find_by_id(progress.account_id.0)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    if let Some(until) = account.locked_until.filter(|until| *until > now) {
        txn.rollback().await?;
        return Err(AccountError::Locked { until });
    }
    let role = Role::parse(&account.role).unwrap_or(Role::Developer);
    let actor = ctx.as_actor(AccountId(account.id), role);
    let Some(accepted) = accept(&txn, key, &account, code, now).await? else {
        let error =
            count_failed_sign_in(&txn, &actor, &account, "second_factor", notifier, now).await?;
        txn.commit().await?;
        return Err(match error {
            AccountError::InvalidCredentials => wrong_code(),
            other => other,
        });
    };
    let (email, name) = (account.email.clone(), account.name.clone());
    let mut row = account.into_active_model();
    row.failed_logins = Set(0);
    row.locked_until = Set(None);
    let method = match accepted {
        Accepted::Totp(step) => {
            row.totp_last_step = Set(i64::try_from(step).ok());
            "totp"
        }
        Accepted::Recovery(id) => {
            recovery_code::Entity::update_many()
                .col_expr(
                    recovery_code::Column::UsedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(recovery_code::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            "recovery_code"
        }
    };
    row.updated_at = Set(now);
    row.update(&txn).await?;
    let completed = complete_session(&txn, token, now).await?;
    audit::record(
        &txn,
        &actor,
        now,
        AuditRecord::new(
            "account.second_factor_passed",
            "account",
            progress.account_id.0,
        )
        .after(serde_json::json!({ "second_factor": method })),
    )
    .await?;
    if method == "recovery_code" {
        let left = unused_recovery_codes(&txn, progress.account_id).await?;
        audit::record(
            &txn,
            &actor,
            now,
            AuditRecord::new(
                "account.recovery_code_used",
                "account",
                progress.account_id.0,
            )
            .after(serde_json::json!({ "recovery_codes_left": left })),
        )
        .await?;
        let to = Person {
            email: &email,
            name: &name,
        };
        notifier
            .send(&txn, Notice::RecoveryCodeUsed { to, left }, now)
            .await?;
    }
    txn.commit().await?;
    Ok(completed)
}

async fn unused_recovery_codes(
    db: &impl ConnectionTrait,
    account: AccountId,
) -> Result<usize, AccountError> {
    use sea_orm::PaginatorTrait;
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(account.0))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await? as usize)
}

/// The account page's view of its second factor.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: usize,
    /// Staff cannot turn it off (an admin can reset it).
    pub required: bool,
}

pub async fn status(db: &DatabaseConnection, user: AccountId) -> Result<Status, AccountError> {
    let account = account::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    Ok(Status {
        enabled_at: account.totp_enabled_at,
        recovery_codes_left: unused_recovery_codes(db, user).await?,
        required: Role::parse(&account.role).is_some_and(Role::can_review),
    })
}

/// Clears the account's authenticator, pending enrolment and recovery codes.
async fn clear(
    txn: &impl ConnectionTrait,
    account: account::Model,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(account.id))
        .exec(txn)
        .await?;
    let mut row = account.into_active_model();
    row.totp_secret = Set(None);
    row.totp_enabled_at = Set(None);
    row.totp_last_step = Set(None);
    row.totp_pending = Set(None);
    row.updated_at = Set(now);
    row.update(txn).await?;
    Ok(())
}

/// A developer turns two-step sign-in off, confirming with a current code
/// (or a recovery code). Staff must keep it.
pub async fn disable(
    db: &DatabaseConnection,
    key: &SealingKey,
    ctx: &AuditContext,
    user: AccountId,
    code: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let account = account::Entity::find_by_id(user.0)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    if Role::parse(&account.role).is_some_and(Role::can_review) {
        txn.rollback().await?;
        return Err(AccountError::NotAllowed(
            "Reviewers and admins must keep two-step sign-in on. If you lost your device, ask an admin to reset it.",
        ));
    }
    if account.totp_enabled_at.is_none() {
        txn.rollback().await?;
        return Err(AccountError::NotAllowed("Two-step sign-in is already off."));
    }
    if accept(&txn, key, &account, code, now).await?.is_none() {
        txn.rollback().await?;
        return Err(wrong_code());
    }
    let (email, name) = (account.email.clone(), account.name.clone());
    clear(&txn, account, now).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("account.second_factor_disabled", "account", user.0),
    )
    .await?;
    let to = Person {
        email: &email,
        name: &name,
    };
    notifier
        .send(&txn, Notice::SecondFactorDisabled { to }, now)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// An admin (or the operator, from the command line: no actor) removes an
/// account's authenticator after a lost device: its sessions end, and its
/// next sign-in sets one up again (staff) or asks only for the password.
pub async fn reset(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    target: AccountId,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    if ctx.actor.is_some_and(|(_, role)| role != Role::Admin) {
        return Err(AccountError::NotAllowed(
            "Only admins can reset two-step sign-in.",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let account = account::Entity::find_by_id(target.0)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AccountError::Common(Common::NotFound))?;
    let had = account.totp_enabled_at.is_some();
    let (email, name) = (account.email.clone(), account.name.clone());
    clear(&txn, account, now).await?;
    let ended = session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(target.0))
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("account.second_factor_reset", "account", target.0)
            .before(serde_json::json!({ "enabled": had }))
            .after(serde_json::json!({ "sessions_ended": ended })),
    )
    .await?;
    let to = Person {
        email: &email,
        name: &name,
    };
    notifier
        .send(&txn, Notice::SecondFactorReset { to }, now)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// One staff account as the admins' staff page lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffMember {
    pub id: AccountId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub second_factor_since: Option<DateTime<Utc>>,
}

/// Reviewers and admins, by name, with their two-step sign-in (admins only).
pub async fn staff(db: &DatabaseConnection, admin: Role) -> Result<Vec<StaffMember>, AccountError> {
    use sea_orm::QueryOrder;
    if admin != Role::Admin {
        return Err(AccountError::NotAllowed(
            "Only admins can see the staff list.",
        ));
    }
    Ok(account::Entity::find()
        .filter(account::Column::Role.is_in([Role::Reviewer.as_str(), Role::Admin.as_str()]))
        .order_by_asc(account::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|a| StaffMember {
            id: AccountId(a.id),
            role: Role::parse(&a.role).unwrap_or(Role::Reviewer),
            name: a.name,
            email: a.email,
            second_factor_since: a.totp_enabled_at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_need_a_second_factor_and_developers_only_once_they_have_one() {
        use SignInStage::*;
        for role in [Role::Reviewer, Role::Admin] {
            assert_eq!(stage(role, false, false), NeedsEnrolment);
            assert_eq!(stage(role, true, false), NeedsCode);
            assert_eq!(stage(role, true, true), SignedIn);
        }
        assert_eq!(stage(Role::Developer, false, false), SignedIn);
        assert_eq!(stage(Role::Developer, true, false), NeedsCode);
        assert_eq!(stage(Role::Developer, true, true), SignedIn);
    }

    #[test]
    fn recovery_codes_are_80_bits_and_typed_forgivingly() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3);
        assert_eq!(normalised_recovery_code(&code).len(), 16);
        let typed = format!(" {} ", code.to_uppercase().replace('-', " "));
        assert_eq!(recovery_digest(&typed), recovery_digest(&code));
        assert_ne!(
            recovery_digest(&new_recovery_code()),
            recovery_digest(&code)
        );
    }
}
