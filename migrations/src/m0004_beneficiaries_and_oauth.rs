//! Beneficiaries and their sign-in (a stand-in for the Medicare identity
//! provider plus the crosswalk from its user ids to beneficiaries), and the
//! OAuth 2.0 records: pending authorization requests, data-access grants,
//! authorization codes, access and refresh tokens (digests only).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::m0002_outbox_and_audit::log_row_changes_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Security-critical tables whose every row change the database logs itself.
const ROW_LOGGED_TABLES: &[&str] = &[
    "crosswalks",
    "data_access_grants",
    "authorization_codes",
    "access_tokens",
    "refresh_tokens",
];

fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    cols: &[&'static str],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("beneficiaries")
                    .col(uuid("id").primary_key())
                    // The FHIR Patient id, stored and compared whole.
                    .col(string_len_uniq("fhir_id", 32))
                    .col(string_len("given_name", 100))
                    .col(string_len("family_name", 100))
                    .col(string_len_null("middle_initial", 1))
                    .col(string_len("gender", 16))
                    .col(date("birth_date"))
                    .col(string_len("race_code", 2))
                    .col(string_len("state_code", 2))
                    .col(string_len("county_code", 3))
                    .col(string_len("postal_code", 10))
                    .col(string_len("mbi", 11))
                    .col(string_len("hicn_hash", 64))
                    .col(string_len("email", 254))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;

        // The sign-in records of the (synthetic) identity provider: a user name,
        // a password hash and the provider's own 128-bit user id.
        manager
            .create_table(
                Table::create()
                    .table("identity_users")
                    .col(uuid("subject").primary_key())
                    .col(string_len_uniq("username", 64))
                    .col(string("password_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;

        // The identity provider's user id → beneficiary. Keyed on the whole
        // 128-bit id (seed 004: a truncated id mixed up beneficiaries).
        manager
            .create_table(
                Table::create()
                    .table("crosswalks")
                    .col(uuid("id").primary_key())
                    .col(uuid_uniq("subject"))
                    .col(uuid("beneficiary_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "crosswalks",
                        "beneficiary_id",
                        "beneficiaries",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_crosswalks_beneficiary",
            "crosswalks",
            &["beneficiary_id"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("beneficiary_sessions")
                    .col(uuid("id").primary_key())
                    .col(string_len_uniq("token_hash", 64))
                    .col(uuid("subject"))
                    .col(uuid("beneficiary_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut fk(
                        "beneficiary_sessions",
                        "beneficiary_id",
                        "beneficiaries",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        // An authorization request between `/authorize` and the enrollee's decision.
        manager
            .create_table(
                Table::create()
                    .table("authorization_requests")
                    .col(uuid("id").primary_key())
                    .col(uuid("application_id"))
                    .col(string_len("api_version", 2))
                    .col(string_len("response_type", 16))
                    .col(string_len("redirect_uri", 2048))
                    .col(boolean("redirect_uri_given"))
                    .col(text_null("state"))
                    .col(text("scopes"))
                    .col(string_len_null("code_challenge", 128))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .foreign_key(&mut fk(
                        "authorization_requests",
                        "application_id",
                        "applications",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        // What an enrollee allowed one app to see, and until when.
        manager
            .create_table(
                Table::create()
                    .table("data_access_grants")
                    .col(uuid("id").primary_key())
                    .col(uuid("beneficiary_id"))
                    .col(uuid("application_id"))
                    .col(text("scopes"))
                    .col(boolean("shares_demographics"))
                    .col(string_len("data_access_type", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "data_access_grants",
                        "beneficiary_id",
                        "beneficiaries",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "data_access_grants",
                        "application_id",
                        "applications",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_grants_beneficiary",
            "data_access_grants",
            &["beneficiary_id", "application_id"],
        )
        .await?;
        index(
            manager,
            "idx_grants_application",
            "data_access_grants",
            &["application_id"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("authorization_codes")
                    .col(uuid("id").primary_key())
                    .col(string_len_uniq("code_hash", 64))
                    .col(uuid("grant_id"))
                    .col(uuid("application_id"))
                    .col(uuid("beneficiary_id"))
                    .col(string_len("redirect_uri", 2048))
                    .col(boolean("redirect_uri_given"))
                    .col(string_len_null("code_challenge", 128))
                    .col(text("scopes"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk(
                        "authorization_codes",
                        "grant_id",
                        "data_access_grants",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        // Tokens issued from one authorization share a family: replaying its
        // code or reusing a spent refresh token revokes the whole family.
        for table in ["access_tokens", "refresh_tokens"] as [&'static str; 2] {
            let mut create = Table::create();
            create
                .table(table)
                .col(uuid("id").primary_key())
                .col(string_len_uniq("token_hash", 64))
                .col(uuid("family_id"))
                .col(uuid("grant_id"))
                .col(uuid("application_id"))
                .col(uuid("beneficiary_id"))
                .col(text("scopes"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk(
                    table,
                    "grant_id",
                    "data_access_grants",
                    ForeignKeyAction::Cascade,
                ));
            if table == "refresh_tokens" {
                create.col(timestamp_with_time_zone_null("used_at"));
            }
            manager.create_table(create.to_owned()).await?;
            index(
                manager,
                &format!("idx_{table}_family"),
                table,
                &["family_id"],
            )
            .await?;
            index(manager, &format!("idx_{table}_grant"), table, &["grant_id"]).await?;
        }

        if manager.get_database_backend() == DbBackend::Postgres {
            for table in ROW_LOGGED_TABLES {
                manager
                    .get_connection()
                    .execute_unprepared(&log_row_changes_sql(table))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "refresh_tokens",
            "access_tokens",
            "authorization_codes",
            "data_access_grants",
            "authorization_requests",
            "beneficiary_sessions",
            "crosswalks",
            "identity_users",
            "beneficiaries",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
