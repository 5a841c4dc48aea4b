//! Incident response (seed 004): suspend one app or all production access
//! while something is investigated, restore it without re-registration, and
//! force re-authentication by ending every grant and token of selected apps.
//! Admin-only; every action is audited and the affected developers are told.
//!
//! A suspension is checked wherever an app acts: resolving an access token
//! (`oauth::bearer::resolve`), authenticating at the token endpoint, and the
//! authorization screen. They ask [`crate::suspensions`], which sits below
//! OAuth, so that OAuth does not depend on this module.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::{
    accounts::CurrentUser,
    applications::{self, AccessState, Transition, TransitionError},
    audit::{self, AuditContext, AuditRecord},
    entities::{access_request, account, application, data_access_grant, suspension},
    environment::Environment,
    errors::Common,
    ids::Role,
    invalidation::{self, Stale},
    notifications::{Notice, Notifier},
    validation::FieldErrors,
};

#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// Refusals and failures every feature has; see [`crate::errors`].
    #[error(transparent)]
    Common(Common),
}

crate::wraps_common!(IncidentError);

/// What an action applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    App(Uuid),
    /// Every production app.
    AllProduction,
}

/// An active suspension, for the admin page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuspensionView {
    pub id: Uuid,
    /// `None`: all production access.
    pub app: Option<(Uuid, String)>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

fn require_admin(user: &CurrentUser) -> Result<(), IncidentError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(IncidentError::Common(Common::Forbidden))
    }
}

/// Every active suspension, oldest first.
pub async fn active(db: &DatabaseConnection) -> Result<Vec<SuspensionView>, DbErr> {
    let rows = suspension::Entity::find()
        .filter(suspension::Column::LiftedAt.is_null())
        .order_by_asc(suspension::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let app = match row.application_id {
            Some(id) => application::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|a| (a.id, format!("{} ({})", a.name, a.environment))),
            None => None,
        };
        out.push(SuspensionView {
            id: row.id,
            app,
            reason: row.reason,
            created_at: row.created_at,
        });
    }
    Ok(out)
}

/// The apps `target` covers.
async fn apps_of(
    db: &impl ConnectionTrait,
    target: Target,
) -> Result<Vec<application::Model>, IncidentError> {
    match target {
        Target::App(id) => Ok(vec![application::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(IncidentError::Common(Common::NotFound))?]),
        Target::AllProduction => Ok(application::Entity::find()
            .filter(application::Column::Environment.eq(Environment::Production.as_str()))
            .all(db)
            .await?),
    }
}

/// The owners and support addresses of `apps`, each once.
async fn developers(
    db: &impl ConnectionTrait,
    apps: &[application::Model],
) -> Result<Vec<String>, DbErr> {
    let mut out: Vec<String> = Vec::new();
    for app in apps {
        if let Some(owner) = account::Entity::find_by_id(app.owner_id).one(db).await? {
            out.push(owner.email);
        }
        out.push(app.support_email.clone());
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|e| !e.is_empty() && seen.insert(e.to_lowercase()));
    Ok(out)
}

/// Moves the production-access application behind `app`, if there is one, by `transition`.
async fn move_application(
    db: &impl ConnectionTrait,
    app: Uuid,
    transition: Transition,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if let Some(request) = access_request::Entity::find()
        .filter(access_request::Column::ProductionAppId.eq(app))
        .one(db)
        .await?
    {
        let from = applications::state_of(&request)?;
        // Only a live app is suspended, and only a suspended one reinstated;
        // an application elsewhere in its life (or moved meanwhile) stays.
        match applications::transition(db, request.id, from, transition, now, |u| u).await {
            Ok(_) | Err(TransitionError::Illegal(_) | TransitionError::Raced { .. }) => {}
            Err(TransitionError::Db(e)) => return Err(e),
        }
    }
    Ok(())
}

/// Records a suspension (and moves a single app's application to Suspended).
#[allow(clippy::too_many_arguments)]
async fn insert_suspension(
    db: &impl ConnectionTrait,
    ctx: &AuditContext,
    app_id: Option<Uuid>,
    reason: &str,
    by: Uuid,
    apps_affected: usize,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::new_v4();
    suspension::ActiveModel {
        id: Set(id),
        application_id: Set(app_id),
        reason: Set(reason.into()),
        created_by: Set(by),
        created_at: Set(now),
        lifted_at: Set(None),
        lifted_by: Set(None),
    }
    .insert(db)
    .await?;
    if let Some(app) = app_id {
        move_application(db, app, Transition::Suspend, now).await?;
    }
    audit::record(
        db,
        ctx,
        now,
        AuditRecord::new("suspension.created", "suspension", id).after(serde_json::json!({
            "application_id": app_id, "scope": if app_id.is_some() { "app" } else { "all_production" },
            "reason": reason, "apps_affected": apps_affected,
        })),
    )
    .await?;
    Ok(id)
}

/// Suspends one app on the system's own authority (a missed re-review
/// deadline), inside the caller's transaction, and tells its developers.
/// The caller bumps the access cache after committing.
pub(crate) async fn suspend_app(
    db: &impl ConnectionTrait,
    ctx: &AuditContext,
    app: Uuid,
    reason: &str,
    by: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let apps = application::Entity::find_by_id(app)
        .one(db)
        .await?
        .into_iter()
        .collect::<Vec<_>>();
    let id = insert_suspension(db, ctx, Some(app), reason, by, apps.len(), now).await?;
    let to = developers(db, &apps).await?;
    if let Some(first) = apps.first() {
        let notice = Notice::Suspension {
            to,
            what: &first.name,
            reason,
            restored: false,
        };
        notifier.send(db, notice, now).await?;
    }
    Ok(id)
}

/// Lifts suspension `id` if it is still active, inside the caller's
/// transaction; returns whether it was. The caller bumps the access cache.
pub(crate) async fn lift(
    db: &impl ConnectionTrait,
    ctx: &AuditContext,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(row) = suspension::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    let lifted = suspension::Entity::update_many()
        .col_expr(suspension::Column::LiftedAt, Expr::value(now))
        .col_expr(suspension::Column::LiftedBy, Expr::value(by))
        .filter(suspension::Column::Id.eq(id))
        .filter(suspension::Column::LiftedAt.is_null())
        .exec(db)
        .await?;
    if lifted.rows_affected != 1 {
        return Ok(false);
    }
    if let Some(app) = row.application_id {
        move_application(db, app, Transition::Reinstate, now).await?;
    }
    audit::record(
        db,
        ctx,
        now,
        AuditRecord::new("suspension.lifted", "suspension", id)
            .before(serde_json::json!({ "reason": row.reason, "since": row.created_at }))
            .after(serde_json::json!({ "lifted_at": now })),
    )
    .await?;
    Ok(true)
}

/// Suspends `target` for `reason` (which refused apps and developers are told).
pub async fn suspend(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    admin: &CurrentUser,
    target: Target,
    reason: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Uuid, IncidentError> {
    require_admin(admin)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        let mut errors = FieldErrors::new();
        errors.add(
            "reason",
            "Give the reason (up to 500 characters): refused apps and their developers are told.",
        );
        return Err(IncidentError::Common(Common::Invalid(errors)));
    }
    let txn = crate::db::begin_write(db).await?;
    let apps = apps_of(&txn, target).await?;
    let app_id = match target {
        Target::App(id) => Some(id),
        Target::AllProduction => None,
    };
    let already = suspension::Entity::find()
        .filter(suspension::Column::LiftedAt.is_null())
        .filter(match app_id {
            Some(id) => suspension::Column::ApplicationId.eq(id),
            None => suspension::Column::ApplicationId.is_null(),
        })
        .one(&txn)
        .await?;
    if already.is_some() {
        let mut errors = FieldErrors::new();
        errors.add(
            "target",
            "That access is already suspended. Restore it first to change the reason.",
        );
        return Err(IncidentError::Common(Common::Invalid(errors)));
    }
    let id = insert_suspension(&txn, ctx, app_id, reason, admin.id.0, apps.len(), now).await?;
    let what = match target {
        Target::App(_) => apps.first().map(|a| a.name.clone()).unwrap_or_default(),
        Target::AllProduction => "all production apps".to_string(),
    };
    let to = developers(&txn, &apps).await?;
    let notice = Notice::Suspension {
        to,
        what: &what,
        reason,
        restored: false,
    };
    notifier.send(&txn, notice, now).await?;
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(id)
}

/// Lifts suspension `id`: the apps work again with the credentials and grants they had.
pub async fn restore(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    admin: &CurrentUser,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    require_admin(admin)?;
    let txn = crate::db::begin_write(db).await?;
    let row = suspension::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(IncidentError::Common(Common::NotFound))?;
    if !lift(&txn, ctx, id, admin.id.0, now).await? {
        return Err(IncidentError::Common(Common::NotFound));
    }
    let target = match row.application_id {
        Some(app) => Target::App(app),
        None => Target::AllProduction,
    };
    let apps = apps_of(&txn, target).await?;
    let what = match target {
        Target::App(_) => apps.first().map(|a| a.name.clone()).unwrap_or_default(),
        Target::AllProduction => "all production apps".to_string(),
    };
    let to = developers(&txn, &apps).await?;
    let notice = Notice::Suspension {
        to,
        what: &what,
        reason: &row.reason,
        restored: true,
    };
    notifier.send(&txn, notice, now).await?;
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(())
}

/// Ends every grant and token of `target`'s apps, so every enrollee must sign
/// in and consent again (seed 004: "all users will be asked to re-authenticate").
/// Returns how many grants ended.
pub async fn force_reauthentication(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    admin: &CurrentUser,
    target: Target,
    now: DateTime<Utc>,
) -> Result<u64, IncidentError> {
    require_admin(admin)?;
    let txn = crate::db::begin_write(db).await?;
    let apps = apps_of(&txn, target).await?;
    let ids: Vec<Uuid> = apps.iter().map(|a| a.id).collect();
    let live = Condition::all()
        .add(data_access_grant::Column::ApplicationId.is_in(ids.clone()))
        .add(data_access_grant::Column::RevokedAt.is_null());
    let tokens = crate::oauth::grants::revoke_tokens_where(&txn, live.clone(), now).await?;
    let grants = data_access_grant::Entity::update_many()
        .col_expr(data_access_grant::Column::RevokedAt, Expr::value(now))
        .filter(live)
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new(
            "oauth.forced_reauthentication",
            "application",
            match target {
                Target::App(id) => id.to_string(),
                Target::AllProduction => "all_production".into(),
            },
        )
        .after(serde_json::json!({ "applications": ids, "grants_ended": grants, "tokens_revoked": tokens })),
    )
    .await?;
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(grants)
}

/// Production apps an admin can act on: id, name and whether they are live.
pub async fn production_apps(
    db: &DatabaseConnection,
) -> Result<Vec<(Uuid, String, AccessState)>, DbErr> {
    let apps = application::Entity::find()
        .filter(application::Column::Environment.eq(Environment::Production.as_str()))
        .order_by_asc(application::Column::Name)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(apps.len());
    for app in apps {
        let state = access_request::Entity::find()
            .filter(access_request::Column::ProductionAppId.eq(app.id))
            .one(db)
            .await?
            .map(|r| applications::state_of(&r))
            .transpose()?
            .unwrap_or(AccessState::Live);
        out.push((app.id, app.name, state));
    }
    Ok(out)
}

/// A notice as admins follow it: each contact and where their email stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeView {
    pub id: Uuid,
    pub subject: String,
    pub audience: String,
    pub created_at: DateTime<Utc>,
    /// Contact, delivery status (`pending`, `sent`, `failed`), last error.
    pub recipients: Vec<(String, String, Option<String>)>,
}

/// Everyone to tell about `apps`: their developers and, for production apps,
/// every contact named in the production-access application.
async fn contacts_of(
    db: &impl ConnectionTrait,
    apps: &[application::Model],
) -> Result<Vec<String>, DbErr> {
    let mut out = developers(db, apps).await?;
    for app in apps {
        if let Some(request) = access_request::Entity::find()
            .filter(access_request::Column::ProductionAppId.eq(app.id))
            .one(db)
            .await?
        {
            out.extend(crate::notifications::recipients::applicants(db, &request).await?);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|e| !e.is_empty() && seen.insert(e.to_lowercase()));
    Ok(out)
}

/// Emails `subject` and `body` to every contact of `target`'s apps, one
/// message each, so that each delivery can be followed. Returns the notice id.
pub async fn send_notice(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    admin: &CurrentUser,
    target: Target,
    subject: &str,
    body: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Uuid, IncidentError> {
    use crate::entities::{incident_notice, incident_notice_recipient};
    require_admin(admin)?;
    let (subject, body) = (subject.trim(), body.trim());
    let mut errors = FieldErrors::new();
    if subject.is_empty() || subject.chars().count() > 200 {
        errors.add("subject", "Enter a subject of up to 200 characters.");
    }
    if body.is_empty() || body.chars().count() > 10_000 {
        errors.add("body", "Write the message (up to 10,000 characters).");
    }
    errors.into_result().map_err(IncidentError::from)?;
    let txn = crate::db::begin_write(db).await?;
    let apps = apps_of(&txn, target).await?;
    let contacts = contacts_of(&txn, &apps).await?;
    if contacts.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("target", "These apps have no contacts to write to.");
        return Err(IncidentError::Common(Common::Invalid(errors)));
    }
    let id = Uuid::new_v4();
    let audience = match target {
        Target::App(app) => app.to_string(),
        Target::AllProduction => "all".to_string(),
    };
    incident_notice::ActiveModel {
        id: Set(id),
        subject: Set(subject.into()),
        body: Set(body.into()),
        audience: Set(audience.clone()),
        created_by: Set(admin.id.0),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for contact in &contacts {
        let notice = Notice::IncidentNotice {
            to: contact,
            subject,
            body,
        };
        let Some(message) = notifier.send(&txn, notice, now).await? else {
            continue;
        };
        incident_notice_recipient::ActiveModel {
            notice_id: Set(id),
            email: Set(contact.clone()),
            outbox_message_id: Set(message),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("incident_notice.sent", "incident_notice", id).after(serde_json::json!({
            "audience": audience, "subject": subject, "recipients": contacts,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Notices sent, newest first, with each contact's delivery status.
pub async fn notices(db: &DatabaseConnection) -> Result<Vec<NoticeView>, DbErr> {
    use crate::entities::{incident_notice, incident_notice_recipient, outbox_message};
    let rows = incident_notice::Entity::find()
        .order_by_desc(incident_notice::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for notice in rows {
        let recipients = incident_notice_recipient::Entity::find()
            .filter(incident_notice_recipient::Column::NoticeId.eq(notice.id))
            .order_by_asc(incident_notice_recipient::Column::Email)
            .all(db)
            .await?;
        let messages = outbox_message::Entity::find()
            .filter(
                outbox_message::Column::Id.is_in(recipients.iter().map(|r| r.outbox_message_id)),
            )
            .all(db)
            .await?;
        let audience = match Uuid::parse_str(&notice.audience) {
            Ok(app) => application::Entity::find_by_id(app)
                .one(db)
                .await?
                .map(|a| a.name)
                .unwrap_or_else(|| "a deleted app".into()),
            Err(_) => "All production apps".into(),
        };
        out.push(NoticeView {
            id: notice.id,
            subject: notice.subject,
            audience,
            created_at: notice.created_at,
            recipients: recipients
                .into_iter()
                .map(|r| {
                    let message = messages.iter().find(|m| m.id == r.outbox_message_id);
                    (
                        r.email,
                        message
                            .map(|m| m.status.clone())
                            .unwrap_or_else(|| "unknown".into()),
                        message.and_then(|m| m.last_error.clone()),
                    )
                })
                .collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{entities::outbox_message, testing};

    async fn outbox(db: &DatabaseConnection) -> Vec<(Vec<String>, String)> {
        outbox_message::Entity::find()
            .order_by_asc(outbox_message::Column::CreatedAt)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (serde_json::from_str(&m.recipients).unwrap(), m.subject))
            .collect()
    }

    #[tokio::test]
    async fn a_suspension_tells_the_developers_once_and_restoring_it_tells_them_again() {
        let db = crate::db::in_memory().await;
        let owner = testing::account("dev@example.com")
            .insert(&db)
            .await
            .unwrap();
        let app = testing::production_app(owner.id, "Claims Tracker", "help@example.com")
            .insert(&db)
            .await
            .unwrap();
        let admin = testing::user(Role::Admin);
        let notifier = Notifier::without_worker("https://portal.example.gov");
        let now = Utc.with_ymd_and_hms(2027, 2, 1, 15, 0, 0).unwrap();
        let ctx = AuditContext::default();
        let suspend_for = |reason: &'static str| {
            suspend(
                &db,
                &ctx,
                &admin,
                Target::App(app.id),
                reason,
                &notifier,
                now,
            )
        };

        let id = suspend_for("Tokens leaked").await.unwrap();
        assert_eq!(active(&db).await.unwrap().len(), 1);
        assert_eq!(
            outbox(&db).await,
            [(
                vec![
                    "dev@example.com".to_string(),
                    "help@example.com".to_string()
                ],
                "API access suspended: Claims Tracker".to_string()
            )]
        );
        let again = suspend_for("Another reason").await;
        assert!(
            matches!(&again, Err(IncidentError::Common(Common::Invalid(e))) if e.get("target").is_some()),
            "{again:?}"
        );
        assert_eq!(
            outbox(&db).await.len(),
            1,
            "a refused suspension sends nothing"
        );

        restore(&db, &ctx, &admin, id, &notifier, now)
            .await
            .unwrap();
        assert!(active(&db).await.unwrap().is_empty());
        let sent = outbox(&db).await;
        assert_eq!(sent[1].1, "API access restored: Claims Tracker");
        let twice = restore(&db, &ctx, &admin, id, &notifier, now).await;
        assert!(
            matches!(twice, Err(IncidentError::Common(Common::NotFound))),
            "{twice:?}"
        );
    }

    #[tokio::test]
    async fn only_admins_suspend_and_a_reason_is_required() {
        let db = crate::db::in_memory().await;
        let notifier = Notifier::without_worker("https://portal.example.gov");
        let ctx = AuditContext::default();
        let now = Utc.with_ymd_and_hms(2027, 2, 1, 15, 0, 0).unwrap();
        let reviewer = testing::user(Role::Reviewer);
        let refused = suspend(
            &db,
            &ctx,
            &reviewer,
            Target::AllProduction,
            "x",
            &notifier,
            now,
        )
        .await;
        assert!(
            matches!(refused, Err(IncidentError::Common(Common::Forbidden))),
            "{refused:?}"
        );
        let admin = testing::user(Role::Admin);
        let blank = suspend(
            &db,
            &ctx,
            &admin,
            Target::AllProduction,
            "  ",
            &notifier,
            now,
        )
        .await;
        assert!(
            matches!(&blank, Err(IncidentError::Common(Common::Invalid(e))) if e.get("reason").is_some()),
            "{blank:?}"
        );
    }
}
