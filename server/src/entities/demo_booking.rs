use sea_orm::entity::prelude::*;

/// An application's booking of a demo slot, and the demo's outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demo_bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub slot_id: Uuid,
    pub ics_uid: String,
    pub sequence: i32,
    pub status: String,
    pub outcome: Option<String>,
    pub outcome_notes: Option<String>,
    pub reminder_sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
