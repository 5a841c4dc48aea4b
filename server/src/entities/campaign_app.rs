use sea_orm::entity::prelude::*;

/// One live app in a re-review campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_id: Uuid,
    pub request_id: Uuid,
    pub attested_at: Option<DateTimeUtc>,
    pub attested_by: Option<Uuid>,
    pub reminded_30_at: Option<DateTimeUtc>,
    pub reminded_14_at: Option<DateTimeUtc>,
    pub reminded_7_at: Option<DateTimeUtc>,
    pub reminded_1_at: Option<DateTimeUtc>,
    /// The suspension the missed deadline caused.
    pub suspension_id: Option<Uuid>,
    /// When a reviewer recorded that the re-review demo passed (campaigns
    /// that ask for one).
    pub demo_passed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
