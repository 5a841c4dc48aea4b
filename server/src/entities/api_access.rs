use sea_orm::entity::prelude::*;

/// One response of the data API: who asked (token, app), about whom, for what, with what result.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_access_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    pub token_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub beneficiary_id: Option<Uuid>,
    pub method: String,
    pub path: String,
    pub resource: String,
    pub interaction: String,
    pub status: i32,
    pub result_count: Option<i32>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
