use sea_orm::entity::prelude::*;

/// A production-access application for one sandbox app.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub application_id: Uuid,
    pub owner_id: Uuid,
    /// See `applications::state::AccessState`.
    pub state: String,
    pub current_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    /// The reviewer working on it.
    pub assignee_id: Option<Uuid>,
    /// When the first response is due (24 US federal business hours after submission).
    pub first_response_due_at: Option<DateTimeUtc>,
    pub first_response_at: Option<DateTimeUtc>,
    /// When the reviewer invited the applicant to book a demo.
    pub demo_invited_at: Option<DateTimeUtc>,
    /// Set by the reviewer at approval.
    pub approved_data_access_type: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why an application was denied.
    pub decision_reason: Option<String>,
    /// The production app created for the handoff.
    pub production_app_id: Option<Uuid>,
    /// When a reviewer approved the directory listing.
    pub listing_approved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
