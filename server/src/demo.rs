//! Demo data for the run command: one account of each role, a sandbox app for
//! the demo developer, and the first synthetic enrollees (plus the featured one).
use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::{
    accounts::{self, AccountError, NewStaffAccount},
    apps::{self, AppsError, Registration},
    audit::AuditContext,
    ids::Role,
    medicare::load::{load_synthetic, LoadReport},
    synthetic,
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
/// Enrollees loaded by `serve --demo` (the rest: `portal beneficiaries load --all`).
pub const DEMO_ENROLLEES: u32 = 100;
pub const DEMO_APP_NAME: &str = "Demo Health App";

/// What seeding created that the operator needs to see once.
#[derive(Debug, Default)]
pub struct Seeded {
    /// The demo app's client id and secret, when it was created just now.
    pub new_app: Option<(String, String)>,
    pub enrollees: LoadReport,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("demo app: {0}")]
    App(#[from] AppsError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Creates whatever demo data is missing.
pub async fn seed(db: &DatabaseConnection, public_url: &str) -> Result<Seeded, DemoError> {
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
    let ctx = AuditContext::default();
    let mut enrollees = load_synthetic(db, &ctx, 0..DEMO_ENROLLEES, Utc::now()).await?;
    let featured = synthetic::FEATURED_NUMBER;
    enrollees.add(load_synthetic(db, &ctx, featured..featured + 1, Utc::now()).await?);

    let developer = accounts::find_user(db, DEMO_LOGINS[2].1)
        .await?
        .expect("created above");
    let new_app = if apps::list_for_owner(db, developer.id).await?.is_empty() {
        let registration = Registration::scripted(
            DEMO_APP_NAME,
            "confidential",
            "authorization-code",
            &format!("{public_url}/test-client/callback http://localhost:8000/callback"),
            true,
            &developer.email,
        );
        let created = apps::register(
            db,
            &developer.audit(Default::default()),
            &developer,
            registration,
            Utc::now(),
        )
        .await?;
        Some((
            created.app.client_id,
            created.client_secret.expose().to_string(),
        ))
    } else {
        None
    };
    Ok(Seeded { new_app, enrollees })
}
