//! The audit trail: one append-only row per state change, written in the same
//! transaction as the change itself.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use serde::Serialize;

use crate::{
    entities::audit_event,
    ids::{AccountId, Role},
};

/// Where a request came from: carried from the HTTP edge into every audit row.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Who is acting, and through which request.
#[derive(Clone, Debug, Default)]
pub struct AuditContext {
    pub actor: Option<(AccountId, Role)>,
    pub meta: RequestMeta,
}

impl AuditContext {
    /// An action taken by the system itself or an anonymous visitor.
    pub fn anonymous(meta: RequestMeta) -> Self {
        Self { actor: None, meta }
    }

    pub fn as_actor(&self, id: AccountId, role: Role) -> Self {
        Self {
            actor: Some((id, role)),
            meta: self.meta.clone(),
        }
    }
}

/// One audit record to write.
pub struct AuditRecord<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> AuditRecord<'a> {
    pub fn new(action: &'a str, target_type: &'a str, target_id: impl ToString) -> Self {
        Self {
            action,
            target_type,
            target_id: Some(target_id.to_string()),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, value: impl Serialize) -> Self {
        self.before = serde_json::to_value(value).ok();
        self
    }

    pub fn after(mut self, value: impl Serialize) -> Self {
        self.after = serde_json::to_value(value).ok();
        self
    }
}

/// Writes `record` through `db`, which should be the transaction making the change.
pub async fn record(
    db: &impl ConnectionTrait,
    ctx: &AuditContext,
    now: DateTime<Utc>,
    record: AuditRecord<'_>,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        occurred_at: Set(now),
        actor_id: Set(ctx.actor.map(|(id, _)| id.0)),
        actor_role: Set(ctx.actor.map(|(_, role)| role.as_str().to_string())),
        action: Set(record.action.to_string()),
        target_type: Set(record.target_type.to_string()),
        target_id: Set(record.target_id),
        before: Set(record.before.map(|v| v.to_string())),
        after: Set(record.after.map(|v| v.to_string())),
        request_id: Set(ctx.meta.request_id.clone()),
        ip: Set(ctx.meta.ip.clone()),
        user_agent: Set(ctx.meta.user_agent.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filters for the admin audit page.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub action_prefix: Option<String>,
    pub actor: Option<AccountId>,
    pub target_id: Option<String>,
    pub page: u64,
    pub per_page: u64,
}

/// One page of audit events, newest first, and the number of matching rows.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &AuditQuery,
) -> Result<(Vec<audit_event::Model>, u64), DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
    let mut select = audit_event::Entity::find();
    if let Some(prefix) = query.action_prefix.as_deref().filter(|p| !p.is_empty()) {
        select = select.filter(audit_event::Column::Action.starts_with(prefix));
    }
    if let Some(actor) = query.actor {
        select = select.filter(audit_event::Column::ActorId.eq(actor.0));
    }
    if let Some(target) = query.target_id.as_deref().filter(|t| !t.is_empty()) {
        select = select.filter(audit_event::Column::TargetId.eq(target));
    }
    let paginator = select
        .order_by_desc(audit_event::Column::Id)
        .paginate(db, query.per_page.clamp(1, 200));
    let total = paginator.num_items().await?;
    // Past the last page is an empty page, but the offset must stay a
    // number the database takes (it is bound as a signed 64-bit value).
    let rows = paginator.fetch_page(query.page.min(1_000_000_000)).await?;
    Ok((rows, total))
}
