//! Enrollees' Medicare data: coverage (Parts A–D) and claims of the eight
//! types. Claims keep their full content as JSON; the columns beside it are
//! what searches filter and page on.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("coverages")
                    // `part-a-<patient id>`.
                    .col(string_len("id", 48).primary_key())
                    .col(uuid("beneficiary_id"))
                    .col(string_len("part", 1))
                    .col(text("payload"))
                    .col(timestamp_with_time_zone("last_updated"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("coverages", "beneficiary_id")
                            .to("beneficiaries", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_coverages_beneficiary")
                    .table("coverages")
                    .col("beneficiary_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("claims")
                    .col(big_pk_auto("id"))
                    // `<type>-<claim id>`, the ExplanationOfBenefit id.
                    .col(string_len_uniq("resource_id", 48))
                    .col(string_len("claim_type", 12))
                    .col(uuid("beneficiary_id"))
                    .col(date("service_start"))
                    .col(date("service_end"))
                    .col(timestamp_with_time_zone("last_updated"))
                    .col(text("payload"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("claims", "beneficiary_id")
                            .to("beneficiaries", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Every search is one enrollee's claims, paged in id order.
        manager
            .create_index(
                Index::create()
                    .name("idx_claims_beneficiary")
                    .table("claims")
                    .col("beneficiary_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // Every response of the data API, written in batches (the API-level audit of seed 004).
        manager
            .create_table(
                Table::create()
                    .table("api_access_log")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(uuid_null("token_id"))
                    .col(uuid_null("application_id"))
                    .col(uuid_null("beneficiary_id"))
                    .col(string_len("method", 8))
                    .col(string_len("path", 512))
                    .col(string_len("resource", 48))
                    .col(string_len("interaction", 16))
                    .col(integer("status"))
                    .col(integer_null("result_count"))
                    .col(string_len_null("request_id", 64))
                    .col(string_len_null("ip", 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_log_beneficiary")
                    .table("api_access_log")
                    .col("beneficiary_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["api_access_log", "claims", "coverages"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
