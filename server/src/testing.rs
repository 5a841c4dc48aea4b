//! Rows for unit tests on the in-memory database ([`crate::db::in_memory`]):
//! complete, so that a test sets only the columns it is about.
use chrono::{TimeZone, Utc};
use sea_orm::Set;
use uuid::Uuid;

use crate::{
    accounts::CurrentUser,
    entities::{
        access_request, access_request_version, account, application, beneficiary,
        data_access_grant,
    },
    ids::{AccountId, Role},
};

/// A verified developer account with `email` and a fresh id.
pub fn account(email: &str) -> account::ActiveModel {
    let at = Utc.with_ymd_and_hms(2027, 1, 4, 15, 0, 0).unwrap();
    account::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.into()),
        name: Set("Test Person".into()),
        organization: Set("Example Health".into()),
        password_hash: Set(None),
        role: Set("developer".into()),
        verified_at: Set(Some(at)),
        tos_version: Set(None),
        tos_accepted_at: Set(None),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        unrequested_mail_window: Set(None),
        unrequested_mail_count: Set(0),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
        totp_pending: Set(None),
    }
}

/// Version 1 of an application, with an empty snapshot.
pub fn request_version() -> access_request_version::ActiveModel {
    access_request_version::ActiveModel {
        request_id: Set(Uuid::new_v4()),
        version: Set(1),
        snapshot: Set("{}".into()),
        submitted_by: Set(Uuid::new_v4()),
        submitted_at: Set(Utc.with_ymd_and_hms(2027, 1, 4, 15, 0, 0).unwrap()),
    }
}

/// A signed-in staff member (or developer) with `role`, not stored.
pub fn user(role: Role) -> CurrentUser {
    CurrentUser {
        id: AccountId(Uuid::new_v4()),
        email: format!("{}@cms.example.gov", role.as_str()),
        name: "Staff Member".into(),
        organization: "CMS".into(),
        role,
        verified: true,
    }
}

/// An active production app of `owner`, with support address `support`.
pub fn production_app(owner: Uuid, name: &str, support: &str) -> application::ActiveModel {
    let at = Utc.with_ymd_and_hms(2027, 1, 4, 15, 0, 0).unwrap();
    let id = Uuid::new_v4();
    application::ActiveModel {
        id: Set(id),
        owner_id: Set(owner),
        environment: Set("production".into()),
        name: Set(name.into()),
        name_key: Set(name.to_lowercase()),
        description: Set("Reads claims.".into()),
        website_url: Set("https://app.example.com".into()),
        privacy_policy_url: Set("https://app.example.com/privacy".into()),
        terms_url: Set("https://app.example.com/terms".into()),
        support_email: Set(support.into()),
        support_phone: Set("555-0100".into()),
        client_type: Set("confidential".into()),
        grant_type: Set("authorization_code".into()),
        redirect_uris: Set("https://app.example.com/callback".into()),
        requires_demographics: Set(true),
        data_access_type: Set("13-month".into()),
        client_id: Set(format!("client-{id}")),
        secret_hash: Set("not-a-real-hash".into()),
        active: Set(true),
        terms_accepted_at: Set(at),
        created_at: Set(at),
        updated_at: Set(at),
        previous_secret_hash: Set(None),
        previous_secret_expires_at: Set(None),
        live_at: Set(Some(at)),
        renewal_due_at: Set(None),
        renewal_reminded_30_at: Set(None),
        renewal_reminded_7_at: Set(None),
    }
}

/// `owner`'s production-access application for `app`, in `state`.
pub fn access_request(owner: Uuid, app: Uuid, state: &str) -> access_request::ActiveModel {
    let at = Utc.with_ymd_and_hms(2027, 1, 4, 15, 0, 0).unwrap();
    access_request::ActiveModel {
        id: Set(Uuid::new_v4()),
        application_id: Set(app),
        owner_id: Set(owner),
        state: Set(state.into()),
        current_version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        submitted_at: Set(Some(at)),
        assignee_id: Set(None),
        first_response_due_at: Set(None),
        first_response_at: Set(None),
        demo_invited_at: Set(None),
        approved_data_access_type: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
        production_app_id: Set(None),
        listing_approved_at: Set(None),
    }
}

/// An enrollee with FHIR id `fhir_id` (the synthetic data's negative ids).
pub fn beneficiary(fhir_id: &str) -> beneficiary::ActiveModel {
    let at = Utc.with_ymd_and_hms(2027, 1, 4, 15, 0, 0).unwrap();
    beneficiary::ActiveModel {
        id: Set(Uuid::new_v4()),
        fhir_id: Set(fhir_id.into()),
        given_name: Set("Jane".into()),
        family_name: Set("Doe".into()),
        middle_initial: Set(None),
        gender: Set("female".into()),
        birth_date: Set(chrono::NaiveDate::from_ymd_opt(1950, 3, 1).unwrap()),
        race_code: Set("1".into()),
        state_code: Set("MD".into()),
        county_code: Set("510".into()),
        postal_code: Set("21201".into()),
        mbi: Set(format!("MBI{fhir_id}")),
        hicn_hash: Set(format!("hicn{fhir_id}")),
        email: Set("jane@example.com".into()),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// The enrollee's consent to `app`, current, for 13 months from 2027-01-04.
pub fn grant(beneficiary: Uuid, app: Uuid, scopes: &str) -> data_access_grant::ActiveModel {
    let at = Utc.with_ymd_and_hms(2027, 1, 4, 15, 0, 0).unwrap();
    data_access_grant::ActiveModel {
        id: Set(Uuid::new_v4()),
        beneficiary_id: Set(beneficiary),
        application_id: Set(app),
        scopes: Set(scopes.into()),
        shares_demographics: Set(true),
        data_access_type: Set("13-month".into()),
        created_at: Set(at),
        expires_at: Set(Some(at + chrono::Duration::days(396))),
        revoked_at: Set(None),
    }
}
