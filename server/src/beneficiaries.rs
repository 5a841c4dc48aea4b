//! Medicare enrollees and how they sign in.
//!
//! Signing in has two steps, as in the real program: an identity provider
//! checks the user name and password and answers with its own 128-bit user id
//! (the *subject*); the crosswalk maps that whole id to a beneficiary. The
//! subject is stored and compared whole — never shortened, never re-derived
//! (seed 004: truncating it to 96 bits sent one person's data to another).
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    audit::{self, AuditContext, AuditRecord},
    entities::{beneficiary, beneficiary_session, crosswalk, identity_user},
    ids::{BeneficiaryId, LoginSubject, PatientId},
    passwords,
    secrets::Secret,
};

/// How long an enrollee stays signed in to the consent and connected-apps pages.
pub const SESSION_TTL: Duration = Duration::hours(1);

/// A beneficiary as the OAuth and FHIR layers see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeneficiaryRef {
    pub id: BeneficiaryId,
    pub patient: PatientId,
    pub given_name: String,
    pub family_name: String,
}

impl BeneficiaryRef {
    pub fn from_model(m: &beneficiary::Model) -> Self {
        Self {
            id: BeneficiaryId(m.id),
            patient: PatientId::new(m.fhir_id.clone()),
            given_name: m.given_name.clone(),
            family_name: m.family_name.clone(),
        }
    }
}

/// An enrollee signed in through the identity provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedInBeneficiary {
    pub subject: LoginSubject,
    pub beneficiary: BeneficiaryRef,
}

/// A new enrollee session: the cookie value and when it ends.
#[derive(Debug)]
pub struct NewBeneficiarySession {
    pub token: Secret,
    pub expires_at: DateTime<Utc>,
    pub signed_in: SignedInBeneficiary,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the user name or password is not right")]
    InvalidCredentials,
    /// The identity provider knows the person but no beneficiary is linked to them.
    #[error("no Medicare record is linked to this sign-in")]
    NotLinked,
    /// A documented sandbox user (`BBUser12345`) whose data this server has not loaded.
    #[error("this synthetic enrollee's data is not loaded on this server")]
    NotLoaded,
    /// Too many password checks at once (see `passwords::Busy`).
    #[error("too many sign-ins at once")]
    Busy,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<passwords::Busy> for SignInError {
    fn from(_: passwords::Busy) -> Self {
        SignInError::Busy
    }
}

/// A fresh identity-provider user id: 128 random bits.
pub fn new_subject() -> LoginSubject {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    LoginSubject(Uuid::from_bytes(bytes))
}

/// Links an identity-provider user id to a beneficiary (the crosswalk).
pub async fn link(
    db: &impl ConnectionTrait,
    subject: LoginSubject,
    beneficiary: BeneficiaryId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    crosswalk::ActiveModel {
        id: Set(Uuid::new_v4()),
        subject: Set(subject.0),
        beneficiary_id: Set(beneficiary.0),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The identity provider: checks a user name and password, answers with the user id.
pub async fn authenticate(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
) -> Result<Option<LoginSubject>, SignInError> {
    let user = identity_user::Entity::find()
        .filter(identity_user::Column::Username.eq(username.trim()))
        .one(db)
        .await?;
    Ok(match user {
        Some(user) => passwords::verify_off_runtime(password, &user.password_hash)
            .await?
            .then_some(LoginSubject(user.subject)),
        None => {
            // Same work either way, so timing does not reveal which names exist.
            passwords::verify_decoy_off_runtime(password).await?;
            None
        }
    })
}

/// The beneficiary linked to `subject`, by exact match on the whole id.
pub async fn resolve(
    db: &impl ConnectionTrait,
    subject: LoginSubject,
) -> Result<Option<BeneficiaryRef>, DbErr> {
    let Some(walk) = crosswalk::Entity::find()
        .filter(crosswalk::Column::Subject.eq(subject.0))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(beneficiary::Entity::find_by_id(walk.beneficiary_id)
        .one(db)
        .await?
        .map(|b| BeneficiaryRef::from_model(&b)))
}

/// A beneficiary by row id.
pub async fn get(
    db: &impl ConnectionTrait,
    id: BeneficiaryId,
) -> Result<Option<beneficiary::Model>, DbErr> {
    beneficiary::Entity::find_by_id(id.0).one(db).await
}

/// A beneficiary by FHIR Patient id (exact, whole-string match).
pub async fn find_by_patient(
    db: &impl ConnectionTrait,
    patient: &str,
) -> Result<Option<BeneficiaryRef>, DbErr> {
    Ok(beneficiary::Entity::find()
        .filter(beneficiary::Column::FhirId.eq(patient))
        .one(db)
        .await?
        .map(|b| BeneficiaryRef::from_model(&b)))
}

/// Signs an enrollee in: identity provider, crosswalk, then a session.
pub async fn sign_in(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<NewBeneficiarySession, SignInError> {
    let txn_failed = |reason: &'static str| {
        let username = username.trim().chars().take(64).collect::<String>();
        async move {
            let txn = crate::db::begin_write(db).await?;
            audit::record(
                &txn,
                ctx,
                now,
                AuditRecord {
                    action: "beneficiary.login_failed",
                    target_type: "identity_user",
                    target_id: None,
                    before: None,
                    after: Some(serde_json::json!({ "username": username, "reason": reason })),
                },
            )
            .await?;
            txn.commit().await
        }
    };
    let Some(subject) = authenticate(db, username, password).await? else {
        let documented = crate::synthetic::number_of(username.trim()).is_some();
        let known = identity_user::Entity::find()
            .filter(identity_user::Column::Username.eq(username.trim()))
            .one(db)
            .await?
            .is_some();
        if documented && !known {
            txn_failed("enrollee not loaded").await?;
            return Err(SignInError::NotLoaded);
        }
        txn_failed("invalid credentials").await?;
        return Err(SignInError::InvalidCredentials);
    };
    let Some(beneficiary) = resolve(db, subject).await? else {
        txn_failed("not linked").await?;
        return Err(SignInError::NotLinked);
    };
    let token = Secret::generate();
    let expires_at = now + SESSION_TTL;
    let txn = crate::db::begin_write(db).await?;
    beneficiary_session::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(token.digest().as_str().into()),
        subject: Set(subject.0),
        beneficiary_id: Set(beneficiary.id.0),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("beneficiary.login", "beneficiary", beneficiary.id.0)
            .after(serde_json::json!({ "patient": beneficiary.patient, "subject": subject.0 })),
    )
    .await?;
    txn.commit().await?;
    Ok(NewBeneficiarySession {
        token,
        expires_at,
        signed_in: SignedInBeneficiary {
            subject,
            beneficiary,
        },
    })
}

/// The enrollee behind a session cookie, if the session is current.
pub async fn session(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<SignedInBeneficiary>, DbErr> {
    let digest = Secret::from_presented(token).digest();
    let Some(found) = beneficiary_session::Entity::find()
        .filter(beneficiary_session::Column::TokenHash.eq(digest.as_str()))
        .filter(beneficiary_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(get(db, BeneficiaryId(found.beneficiary_id))
        .await?
        .map(|b| SignedInBeneficiary {
            subject: LoginSubject(found.subject),
            beneficiary: BeneficiaryRef::from_model(&b),
        }))
}

/// Ends an enrollee session.
pub async fn sign_out(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let digest = Secret::from_presented(token).digest();
    let txn = crate::db::begin_write(db).await?;
    let Some(found) = beneficiary_session::Entity::find()
        .filter(beneficiary_session::Column::TokenHash.eq(digest.as_str()))
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    beneficiary_session::Entity::delete_by_id(found.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("beneficiary.logout", "beneficiary", found.beneficiary_id),
    )
    .await?;
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_use_all_128_bits() {
        // Over many draws every one of the 128 bit positions is set somewhere:
        // nothing (like a UUID version field) is fixed.
        let mut seen = 0u128;
        for _ in 0..256 {
            seen |= new_subject().0.as_u128();
        }
        assert_eq!(seen, u128::MAX);
    }
}
