use sea_orm::entity::prelude::*;

/// How an approved app appears in the connected-apps directory (the
/// post-approval form). One per production-access application.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_listings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: Uuid,
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub website_url: String,
    pub privacy_policy_url: String,
    pub support_email: String,
    pub support_url: String,
    /// Comma-separated category keys.
    pub categories: String,
    /// Comma-separated platform keys.
    pub platforms: String,
    /// Bumped on every save; a save from a stale tab is refused.
    pub revision: i32,
    pub submitted_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
