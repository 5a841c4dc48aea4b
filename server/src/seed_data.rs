//! Demo data for the run command: one account of each role, a sandbox app for
//! the demo developer, a submitted production-access application waiting in
//! the review queue, and the first synthetic enrollees (plus the featured one).
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    accounts::{self, AccountError, CurrentUser, NewStaffAccount},
    applications::{self, Answers, ApplicationError, Attestation, DocumentKind},
    apps::{self, AppsError, Registration},
    audit::AuditContext,
    blobs::BlobStore,
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
/// The demo developer's second app, whose application waits for review.
pub const DEMO_SUBMITTED_APP_NAME: &str = "Demo Claims Tracker";

/// What seeding created that the operator needs to see once.
#[derive(Debug, Default)]
pub struct Seeded {
    /// The demo app's client id and secret, when it was created just now.
    pub new_app: Option<(String, String)>,
    pub enrollees: LoadReport,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("demo app: {0}")]
    App(#[from] AppsError),
    #[error("demo application: {0}")]
    Access(#[from] ApplicationError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Creates whatever demo data is missing.
pub async fn seed(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Seeded, SeedError> {
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
            now,
        )
        .await?;
    }
    let ctx = AuditContext::default();
    let mut enrollees = load_synthetic(db, &ctx, 0..DEMO_ENROLLEES, now).await?;
    let featured = synthetic::FEATURED_NUMBER;
    enrollees.add(load_synthetic(db, &ctx, featured..featured + 1, now).await?);

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
            now,
        )
        .await?;
        Some((
            created.app.client_id,
            created.client_secret.expose().to_string(),
        ))
    } else {
        None
    };
    if applications::list_for_owner(db, developer.id)
        .await?
        .is_empty()
    {
        submitted_application(db, blobs, &developer, public_url, now).await?;
    }
    Ok(Seeded { new_app, enrollees })
}

fn answers(pairs: &[(&str, &str)]) -> Answers {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A complete application for a second demo app, submitted, so that the
/// demo reviewer has one to work on.
async fn submitted_application(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    developer: &CurrentUser,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<(), SeedError> {
    let ctx = developer.audit(Default::default());
    let app = apps::register(
        db,
        &ctx,
        developer,
        Registration::scripted(
            DEMO_SUBMITTED_APP_NAME,
            "confidential",
            "authorization-code",
            "https://claims-tracker.example.com/callback",
            false,
            &developer.email,
        ),
        now,
    )
    .await?
    .app;
    let id = applications::start(db, &ctx, developer, app.id, now).await?;
    let mut policies = vec![
        (
            "privacy_policy_url".to_string(),
            "https://claims-tracker.example.com/privacy".to_string(),
        ),
        (
            "terms_url".to_string(),
            "https://claims-tracker.example.com/terms".to_string(),
        ),
    ];
    for (i, item) in applications::form::PRIVACY_CHECKLIST.iter().enumerate() {
        let (attest, location) = applications::form::checklist_keys(item);
        policies.push((attest, "yes".into()));
        policies.push((location, format!("Section {}", i + 1)));
    }
    let sections: Vec<(&str, Answers)> = vec![
        ("organization", answers(&[
            ("legal_name", "Example Health Apps, Inc."),
            ("us_based", "yes"),
            ("address", "200 Independence Avenue SW\nWashington, DC 20201"),
            ("website", "https://claims-tracker.example.com"),
            ("contact_name", "Dana Developer"),
            ("contact_title", "Head of Product"),
            ("contact_email", &developer.email),
            ("contact_phone", "+1 202-555-0100"),
        ])),
        ("application", answers(&[
            ("app_name", DEMO_SUBMITTED_APP_NAME),
            ("app_description", "Tracks Medicare claims and explains each one in plain language."),
            ("use_case", "Enrollees see every claim, what Medicare paid and what they owe."),
            ("serves_medicare", "yes"),
            ("business_model", "A subscription paid by the enrollee's health plan; free for enrollees."),
            ("beneficiary_value", "Fewer surprise bills: enrollees see what they owe before the bill arrives."),
            ("redirect_uris", "https://claims-tracker.example.com/callback"),
            ("data_access_type", "13-month"),
            ("needs_demographics", "no"),
        ])),
        ("data_protection", answers(&[
            ("hosting", "A FedRAMP-authorized cloud region in the United States"),
            ("encryption_in_transit", "yes"),
            ("encryption_at_rest", "yes"),
            ("access_control", "Two engineers can read production data, with multi-factor sign-in; access is logged and reviewed monthly."),
            ("hipaa_status", "not_covered"),
            ("breach_response", "We notify affected enrollees and the FTC within 60 days, as the Health Breach Notification Rule requires."),
        ])),
        ("policies", policies.into_iter().collect()),
    ];
    for (section, answers) in sections {
        let revision = applications::get(db, developer, id)
            .await?
            .section(section)
            .map(|s| s.revision)
            .unwrap_or(0);
        applications::save_section(db, &ctx, developer.id, id, section, revision, &answers, now)
            .await?;
    }
    let documents = [
        (DocumentKind::PrivacyPolicy, "claims-tracker-privacy.pdf", crate::pdf::TextDocument::new("Claims Tracker privacy policy")
            .paragraphs([
                "We collect your Medicare claims only after you connect your account, and we never sell them.",
                "We share your data only with the people you choose, one time or until you stop sharing.",
                "If you revoke access, we delete your data within 30 days.",
                "We close accounts that are dormant for two years and delete their data.",
                "We tell you about any change to this policy by email 30 days before it takes effect, and you may opt out.",
                "If there is a data breach, we tell you within 60 days and explain how to protect yourself.",
            ])
            .render()),
        (DocumentKind::TermsOfService, "claims-tracker-terms.pdf", crate::pdf::TextDocument::new("Claims Tracker terms of service")
            .paragraph("You may use the app to see and understand your Medicare claims. You may stop at any time.")
            .render()),
    ];
    for (kind, filename, bytes) in documents {
        applications::upload_document(
            db,
            blobs,
            &ctx,
            developer.id,
            id,
            kind,
            filename,
            bytes,
            now,
        )
        .await?;
    }
    applications::submit(
        db,
        &ctx,
        developer,
        id,
        0,
        Attestation {
            name: "Dana Developer".into(),
            title: "Head of Product".into(),
            accepted: true,
        },
        // Seeding runs before the mail worker starts, which then finds it.
        &crate::notifications::Notifier::without_worker(public_url),
        now,
    )
    .await?;
    Ok(())
}
