//! Rows for unit tests on the in-memory database ([`crate::db::in_memory`]):
//! complete, so that a test sets only the columns it is about.
use chrono::{TimeZone, Utc};
use sea_orm::Set;
use uuid::Uuid;

use crate::entities::{access_request_version, account};

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
