use sea_orm::entity::prelude::*;

/// A re-review campaign: new terms and/or attestations every live app must accept by a deadline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub terms_version: String,
    pub terms_text: String,
    /// JSON array of statements.
    pub attestations: String,
    pub demo_required: bool,
    pub deadline: DateTimeUtc,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    /// When the deadline was enforced (apps that missed it suspended).
    pub enforced_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
