use sea_orm::entity::prelude::*;

/// One part (A–D) of an enrollee's coverage; `payload` is `synthetic::coverage::CoveragePart` as JSON.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coverages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub beneficiary_id: Uuid,
    pub part: String,
    pub payload: String,
    pub last_updated: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
