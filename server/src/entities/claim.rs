use sea_orm::entity::prelude::*;

/// A claim; `payload` is the whole claim as JSON (`synthetic::claims::Claim`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resource_id: String,
    pub claim_type: String,
    pub beneficiary_id: Uuid,
    pub service_start: Date,
    pub service_end: Date,
    pub last_updated: DateTimeUtc,
    pub payload: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
