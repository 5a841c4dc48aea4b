//! Database schema, as an ordered list of sea-orm migrations. Run at start-up
//! and by `portal migrate`.

pub use sea_orm_migration::prelude::*;

mod m0001_accounts;
mod m0002_outbox_and_audit;
mod m0003_applications;
mod m0004_beneficiaries_and_oauth;
mod m0005_application_logos;
mod m0006_medicare_data;
mod m0007_production_access;
mod m0008_reviews;
mod m0009_demos_and_decisions;
mod m0010_closure_days;
mod m0011_production;
mod m0012_suspensions;
mod m0013_incident_notices;
mod m0014_policy_changes;
mod m0015_review_campaigns;
mod m0016_re_review_demos;
mod m0017_outbox_one_time_links;
mod m0018_unrequested_mail_cap;
mod m0019_second_factor;
mod m0020_outbox_delivery;
mod m0021_stored_blobs;
mod m0022_access_log_spools;

/// All migrations in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_accounts::Migration),
            Box::new(m0002_outbox_and_audit::Migration),
            Box::new(m0003_applications::Migration),
            Box::new(m0004_beneficiaries_and_oauth::Migration),
            Box::new(m0005_application_logos::Migration),
            Box::new(m0006_medicare_data::Migration),
            Box::new(m0007_production_access::Migration),
            Box::new(m0008_reviews::Migration),
            Box::new(m0009_demos_and_decisions::Migration),
            Box::new(m0010_closure_days::Migration),
            Box::new(m0011_production::Migration),
            Box::new(m0012_suspensions::Migration),
            Box::new(m0013_incident_notices::Migration),
            Box::new(m0014_policy_changes::Migration),
            Box::new(m0015_review_campaigns::Migration),
            Box::new(m0016_re_review_demos::Migration),
            Box::new(m0017_outbox_one_time_links::Migration),
            Box::new(m0018_unrequested_mail_cap::Migration),
            Box::new(m0019_second_factor::Migration),
            Box::new(m0020_outbox_delivery::Migration),
            Box::new(m0021_stored_blobs::Migration),
            Box::new(m0022_access_log_spools::Migration),
        ]
    }
}
