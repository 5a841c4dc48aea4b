use sea_orm::entity::prelude::*;

/// One submission of a policy change and the reviewer's answer to it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_change_rounds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub change_id: Uuid,
    pub submitted_at: DateTimeUtc,
    /// The end of the fifth federal business day after submission.
    pub due_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    pub outcome: Option<String>,
    pub comment: Option<String>,
    pub answered_by: Option<Uuid>,
    pub due_soon_escalated_at: Option<DateTimeUtc>,
    pub overdue_escalated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
