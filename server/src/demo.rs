//! Demo data for the run command: one account of each role.
use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::{
    accounts::{self, AccountError, NewStaffAccount},
    ids::Role,
};

/// The demo logins printed at start-up: (role, email, password).
pub const DEMO_LOGINS: &[(Role, &str, &str)] = &[
    (
        Role::Admin,
        "admin@demo.bluebutton.example",
        "demo-admin-password",
    ),
    (
        Role::Reviewer,
        "reviewer@demo.bluebutton.example",
        "demo-reviewer-password",
    ),
    (
        Role::Developer,
        "developer@demo.bluebutton.example",
        "demo-developer-password",
    ),
];

/// Creates the demo accounts if they are missing.
pub async fn seed(db: &DatabaseConnection) -> Result<(), AccountError> {
    for (role, email, password) in DEMO_LOGINS {
        let (name, organization) = match role {
            Role::Admin => ("Avery Admin", "Blue Button program"),
            Role::Reviewer => ("Riley Reviewer", "Blue Button program"),
            Role::Developer => ("Dana Developer", "Example Health Apps, Inc."),
        };
        accounts::create_verified_account(
            db,
            NewStaffAccount {
                email: email.to_string(),
                name: name.into(),
                organization: organization.into(),
                role: *role,
            },
            password,
            Utc::now(),
        )
        .await?;
    }
    Ok(())
}
