//! Two-step sign-in (issue 18): an authenticator app's TOTP secret and
//! one-time recovery codes per account, and on each session whether its
//! second factor was presented. Reviewers and admins must have one; for
//! developers it is optional.
//!
//! The TOTP secret cannot be hashed (the server computes codes from it), so
//! it is stored sealed with the server's secrets key; recovery codes are
//! 80 random bits and stored as SHA-256 digests, like the other machine secrets.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let account_columns = [
            // The enrolled secret, sealed.
            text_null("totp_secret"),
            timestamp_with_time_zone_null("totp_enabled_at"),
            // The last 30-second step a code was accepted for: each works once.
            big_integer_null("totp_last_step"),
            // An enrolment begun but not yet confirmed with a code: the secret
            // and recovery codes shown on the page, sealed, so that a reload
            // shows the same ones.
            text_null("totp_pending"),
        ];
        for column in account_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table("accounts")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .add_column(timestamp_with_time_zone_null("second_factor_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("recovery_codes")
                    .col(uuid("id").primary_key())
                    .col(uuid("account_id"))
                    .col(string_len_uniq("code_hash", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("recovery_codes", "account_id")
                            .to("accounts", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_account")
                    .table("recovery_codes")
                    .col("account_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("recovery_codes").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .drop_column("second_factor_at")
                    .to_owned(),
            )
            .await?;
        for column in [
            "totp_pending",
            "totp_last_step",
            "totp_enabled_at",
            "totp_secret",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("accounts")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
