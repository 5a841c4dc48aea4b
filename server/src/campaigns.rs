//! Re-review campaigns (seed 000: "by March 31st"): an admin publishes a new
//! version of the terms of service and/or a new attestation checklist and
//! sets a deadline. Every live production app gets a re-review request; its
//! developer must accept the terms and re-attest each statement. Contacts are
//! reminded 30, 14, 7 and 1 days before; apps that miss the deadline are
//! suspended automatically (with notice), and re-attesting afterwards lifts
//! that suspension. A campaign may also ask for a new demo: the developer
//! books one of the reviewers' demo slots from the application page (see
//! `review::demos`) and the admin's page follows which apps' demos passed.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    accounts::CurrentUser,
    applications::{self, AccessState},
    audit::{self, AuditContext, AuditRecord},
    entities::{access_request, application, campaign_app, review_campaign},
    errors::Common,
    ids::Role,
    incidents,
    invalidation::{self, Stale},
    notifications::{Notice, Notifier},
    validation::FieldErrors,
};

/// Days before the deadline on which contacts are reminded.
pub const REMINDER_DAYS: [i64; 4] = [30, 14, 7, 1];

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// Refusals and failures every feature has; see [`crate::errors`].
    #[error(transparent)]
    Common(Common),
    /// What the application refused (kept whole for the edge to word).
    #[error(transparent)]
    Application(applications::ApplicationError),
}

crate::wraps_common!(CampaignError);

impl From<applications::ApplicationError> for CampaignError {
    fn from(e: applications::ApplicationError) -> Self {
        match e {
            applications::ApplicationError::Common(common) => CampaignError::Common(common),
            other => CampaignError::Application(other),
        }
    }
}

/// What an admin publishes.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub title: String,
    pub terms_version: String,
    pub terms_text: String,
    /// One statement per entry; each must be attested.
    pub attestations: Vec<String>,
    pub demo_required: bool,
    pub deadline: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignAppView {
    pub application_id: Uuid,
    pub request_id: Uuid,
    pub app_name: String,
    pub attested_at: Option<DateTime<Utc>>,
    /// Suspended because the deadline passed without an attestation (and not restored yet).
    pub suspended: bool,
    /// When the re-review demo passed (campaigns that ask for one).
    pub demo_passed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignView {
    pub id: Uuid,
    pub title: String,
    pub terms_version: String,
    pub terms_text: String,
    pub attestations: Vec<String>,
    pub demo_required: bool,
    pub deadline: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub enforced_at: Option<DateTime<Utc>>,
    pub apps: Vec<CampaignAppView>,
}

impl CampaignView {
    /// Apps that will be suspended at the deadline unless they re-attest.
    pub fn affected_on_deadline(&self) -> Vec<&CampaignAppView> {
        self.apps
            .iter()
            .filter(|a| a.attested_at.is_none() && !a.suspended)
            .collect()
    }
}

fn require_admin(user: &CurrentUser) -> Result<(), CampaignError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(CampaignError::Common(Common::Forbidden))
    }
}

/// Live production apps (application id, its access request, name): who a
/// new campaign would reach.
pub async fn live_apps(db: &impl ConnectionTrait) -> Result<Vec<(Uuid, Uuid, String)>, DbErr> {
    let requests = access_request::Entity::find()
        .filter(access_request::Column::State.eq(AccessState::Live.as_str()))
        .filter(access_request::Column::ProductionAppId.is_not_null())
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(requests.len());
    for request in requests {
        let Some(app_id) = request.production_app_id else {
            continue;
        };
        if let Some(app) = application::Entity::find_by_id(app_id).one(db).await? {
            out.push((app.id, request.id, app.name));
        }
    }
    out.sort_by(|a, b| a.2.to_lowercase().cmp(&b.2.to_lowercase()));
    Ok(out)
}

fn format_deadline(at: DateTime<Utc>) -> String {
    crate::calendar::format_eastern(at, "%B %-d, %Y, %-I:%M %p")
}

/// Publishes a campaign and sends every live app's contacts the request.
pub async fn start(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    admin: &CurrentUser,
    new: NewCampaign,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Uuid, CampaignError> {
    require_admin(admin)?;
    let mut errors = FieldErrors::new();
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errors.add(
            "title",
            "Give the campaign a title of up to 200 characters.",
        );
    }
    let version = new.terms_version.trim();
    if version.is_empty() || version.chars().count() > 32 {
        errors.add(
            "terms_version",
            "Name the terms version (up to 32 characters), for example 2027-03.",
        );
    }
    if new.terms_text.trim().chars().count() < 20 {
        errors.add(
            "terms_text",
            "Paste the new terms of service (or what changed in them) for developers to accept.",
        );
    }
    let attestations: Vec<String> = new
        .attestations
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    if attestations.is_empty() {
        errors.add(
            "attestations",
            "List at least one statement developers must attest, one per line.",
        );
    }
    if new.deadline < now + Duration::days(1) {
        errors.add(
            "deadline",
            "Choose a deadline at least one day from now, so developers can respond.",
        );
    }
    errors.into_result().map_err(CampaignError::from)?;
    let txn = crate::db::begin_write(db).await?;
    let apps = live_apps(&txn).await?;
    if apps.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add(
            "confirm",
            "No app is live in production: there is no one to ask.",
        );
        return Err(CampaignError::Common(Common::Invalid(errors)));
    }
    let id = Uuid::new_v4();
    review_campaign::ActiveModel {
        id: Set(id),
        title: Set(title.into()),
        terms_version: Set(version.into()),
        terms_text: Set(new.terms_text.trim().into()),
        attestations: Set(serde_json::to_string(&attestations).expect("strings serialize")),
        demo_required: Set(new.demo_required),
        deadline: Set(new.deadline),
        created_by: Set(admin.id.0),
        created_at: Set(now),
        enforced_at: Set(None),
    }
    .insert(&txn)
    .await?;
    for (app_id, request_id, name) in &apps {
        campaign_app::ActiveModel {
            campaign_id: Set(id),
            application_id: Set(*app_id),
            request_id: Set(*request_id),
            attested_at: Set(None),
            attested_by: Set(None),
            reminded_30_at: Set(None),
            reminded_14_at: Set(None),
            reminded_7_at: Set(None),
            reminded_1_at: Set(None),
            suspension_id: Set(None),
            demo_passed_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let request = applications::find(&txn, *request_id).await?;
        let notice = Notice::ReReviewRequired {
            application: &request,
            app: name,
            campaign: id,
            title,
            version,
            deadline: new.deadline,
            demo_required: new.demo_required,
        };
        notifier.send(&txn, notice, now).await?;
    }
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("campaign.started", "review_campaign", id).after(serde_json::json!({
            "title": title, "terms_version": version, "deadline": new.deadline,
            "attestations": attestations.len(), "demo_required": new.demo_required,
            "applications": apps.iter().map(|a| a.0).collect::<Vec<_>>(),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

async fn view_of(
    db: &impl ConnectionTrait,
    campaign: review_campaign::Model,
) -> Result<CampaignView, DbErr> {
    let rows = campaign_app::Entity::find()
        .filter(campaign_app::Column::CampaignId.eq(campaign.id))
        .all(db)
        .await?;
    let mut apps = Vec::with_capacity(rows.len());
    for row in rows {
        let name = application::Entity::find_by_id(row.application_id)
            .one(db)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let suspended = match row.suspension_id {
            Some(s) => crate::entities::suspension::Entity::find_by_id(s)
                .one(db)
                .await?
                .is_some_and(|s| s.lifted_at.is_none()),
            None => false,
        };
        apps.push(CampaignAppView {
            application_id: row.application_id,
            request_id: row.request_id,
            app_name: name,
            attested_at: row.attested_at,
            suspended,
            demo_passed_at: row.demo_passed_at,
        });
    }
    apps.sort_by(|a, b| a.app_name.to_lowercase().cmp(&b.app_name.to_lowercase()));
    Ok(CampaignView {
        id: campaign.id,
        title: campaign.title,
        terms_version: campaign.terms_version,
        terms_text: campaign.terms_text,
        attestations: serde_json::from_str(&campaign.attestations).unwrap_or_default(),
        demo_required: campaign.demo_required,
        deadline: campaign.deadline,
        created_at: campaign.created_at,
        enforced_at: campaign.enforced_at,
        apps,
    })
}

/// Every campaign, newest first, for admins.
pub async fn list(
    db: &DatabaseConnection,
    admin: &CurrentUser,
) -> Result<Vec<CampaignView>, CampaignError> {
    require_admin(admin)?;
    let rows = review_campaign::Entity::find()
        .order_by_desc(review_campaign::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view_of(db, row).await?);
    }
    Ok(out)
}

/// One campaign as it concerns `user`'s application `request_id`: the
/// campaign, and this app's row in it.
pub async fn for_app(
    db: &DatabaseConnection,
    user: &CurrentUser,
    campaign_id: Uuid,
    request_id: Uuid,
) -> Result<(CampaignView, CampaignAppView), CampaignError> {
    let request = applications::find(db, request_id).await?;
    if request.owner_id != user.id.0 && user.role != Role::Admin {
        return Err(CampaignError::Common(Common::NotFound));
    }
    let campaign = review_campaign::Entity::find_by_id(campaign_id)
        .one(db)
        .await?
        .ok_or(CampaignError::Common(Common::NotFound))?;
    let view = view_of(db, campaign).await?;
    let row = view
        .apps
        .iter()
        .find(|a| a.request_id == request_id)
        .cloned()
        .ok_or(CampaignError::Common(Common::NotFound))?;
    Ok((view, row))
}

/// The rows of `request_id` in campaigns that asked for a new demo which
/// has not passed yet.
async fn demos_owed(
    db: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<Vec<campaign_app::Model>, DbErr> {
    let rows = campaign_app::Entity::find()
        .filter(campaign_app::Column::RequestId.eq(request_id))
        .filter(campaign_app::Column::DemoPassedAt.is_null())
        .all(db)
        .await?;
    let mut owed = Vec::new();
    for row in rows {
        let asks = review_campaign::Entity::find_by_id(row.campaign_id)
            .one(db)
            .await?
            .is_some_and(|c| c.demo_required);
        if asks {
            owed.push(row);
        }
    }
    Ok(owed)
}

/// Whether a campaign asks the live app behind `request_id` for a demo it
/// has not passed yet: the one case in which a live app may book a demo.
pub async fn demo_requested(db: &impl ConnectionTrait, request_id: Uuid) -> Result<bool, DbErr> {
    Ok(!demos_owed(db, request_id).await?.is_empty())
}

/// Records that the live app's re-review demo passed, for every campaign
/// that asked for one. Called inside the demo module's transaction.
pub(crate) async fn record_demo_passed(
    db: &impl ConnectionTrait,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let campaigns: Vec<Uuid> = demos_owed(db, request_id)
        .await?
        .into_iter()
        .map(|r| r.campaign_id)
        .collect();
    if campaigns.is_empty() {
        return Ok(());
    }
    campaign_app::Entity::update_many()
        .col_expr(campaign_app::Column::DemoPassedAt, Expr::value(now))
        .filter(campaign_app::Column::RequestId.eq(request_id))
        .filter(campaign_app::Column::CampaignId.is_in(campaigns))
        .exec(db)
        .await?;
    Ok(())
}

/// Campaigns still waiting for `user`'s application `request_id`.
pub async fn pending_for(
    db: &DatabaseConnection,
    user: &CurrentUser,
    request_id: Uuid,
) -> Result<Vec<CampaignView>, CampaignError> {
    let request = applications::find(db, request_id).await?;
    if request.owner_id != user.id.0 {
        return Err(CampaignError::Common(Common::NotFound));
    }
    let rows = campaign_app::Entity::find()
        .filter(campaign_app::Column::RequestId.eq(request_id))
        .filter(campaign_app::Column::AttestedAt.is_null())
        .all(db)
        .await?;
    let mut out = Vec::new();
    for row in rows {
        if let Some(c) = review_campaign::Entity::find_by_id(row.campaign_id)
            .one(db)
            .await?
        {
            out.push(view_of(db, c).await?);
        }
    }
    out.sort_by_key(|c| c.deadline);
    Ok(out)
}

/// The developer accepts the terms and attests every statement. After the
/// deadline, this lifts the suspension the missed deadline caused.
#[allow(clippy::too_many_arguments)]
pub async fn attest(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    user: &CurrentUser,
    campaign_id: Uuid,
    request_id: Uuid,
    accepted_terms: bool,
    attested: &[usize],
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), CampaignError> {
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, request_id).await?;
    if request.owner_id != user.id.0 {
        return Err(CampaignError::Common(Common::NotFound));
    }
    let campaign = review_campaign::Entity::find_by_id(campaign_id)
        .one(&txn)
        .await?
        .ok_or(CampaignError::Common(Common::NotFound))?;
    // Locked, as the deadline's enforcement locks it: whichever commits
    // first, the other sees it, so an app that attests is never left
    // suspended (on SQLite `begin_write` already serializes the two).
    let row = campaign_app::Entity::find()
        .filter(campaign_app::Column::CampaignId.eq(campaign_id))
        .filter(campaign_app::Column::RequestId.eq(request_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(CampaignError::Common(Common::NotFound))?;
    let statements: Vec<String> = serde_json::from_str(&campaign.attestations).unwrap_or_default();
    let mut errors = FieldErrors::new();
    if !accepted_terms {
        errors.add(
            "accept_terms",
            format!(
                "Accept terms of service version {} to keep production access.",
                campaign.terms_version
            ),
        );
    }
    if (0..statements.len()).any(|i| !attested.contains(&i)) {
        errors.add(
            "attestations",
            "Attest every statement: each one is a condition of production access.",
        );
    }
    errors.into_result().map_err(CampaignError::from)?;
    let claimed = campaign_app::Entity::update_many()
        .col_expr(campaign_app::Column::AttestedAt, Expr::value(now))
        .col_expr(campaign_app::Column::AttestedBy, Expr::value(user.id.0))
        .filter(campaign_app::Column::CampaignId.eq(campaign_id))
        .filter(campaign_app::Column::ApplicationId.eq(row.application_id))
        .filter(campaign_app::Column::AttestedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        // Already attested (another tab): nothing more to do.
        return Ok(());
    }
    let lifted = match row.suspension_id {
        Some(suspension) => incidents::lift(&txn, ctx, suspension, user.id.0, now).await?,
        None => false,
    };
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("campaign.attested", "review_campaign", campaign_id).after(
            serde_json::json!({ "application_id": row.application_id, "terms_version": campaign.terms_version, "statements": statements.len(), "suspension_lifted": lifted }),
        ),
    )
    .await?;
    let name = crate::applications::snapshot::app_name(&txn, &request).await?;
    let notice = Notice::ReReviewDone {
        application: &request,
        app: &name,
        title: &campaign.title,
        version: &campaign.terms_version,
        lifted,
    };
    notifier.send(&txn, notice, now).await?;
    invalidation::commit(txn, lifted.then_some(Stale::Access)).await?;
    Ok(())
}

fn reminder_column(days: i64) -> campaign_app::Column {
    match days {
        30 => campaign_app::Column::Reminded30At,
        14 => campaign_app::Column::Reminded14At,
        7 => campaign_app::Column::Reminded7At,
        _ => campaign_app::Column::Reminded1At,
    }
}

fn reminded(row: &campaign_app::Model, days: i64) -> bool {
    match days {
        30 => row.reminded_30_at.is_some(),
        14 => row.reminded_14_at.is_some(),
        7 => row.reminded_7_at.is_some(),
        _ => row.reminded_1_at.is_some(),
    }
}

/// Sends the reminders due at `now`: each app that has not re-attested gets
/// one when 30, 14, 7 and 1 days are left, each claimed once; a later
/// window makes missed earlier ones moot. Returns how many went out.
pub async fn send_reminders(
    db: &DatabaseConnection,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let campaigns = review_campaign::Entity::find()
        .filter(review_campaign::Column::EnforcedAt.is_null())
        .filter(review_campaign::Column::Deadline.gt(now))
        .filter(review_campaign::Column::Deadline.lte(now + Duration::days(REMINDER_DAYS[0])))
        .all(db)
        .await?;
    let mut sent = 0;
    for campaign in campaigns {
        let left = campaign.deadline - now;
        // The narrowest window that has opened.
        let Some(window) = REMINDER_DAYS
            .iter()
            .rev()
            .copied()
            .find(|d| left <= Duration::days(*d))
        else {
            continue;
        };
        let rows = campaign_app::Entity::find()
            .filter(campaign_app::Column::CampaignId.eq(campaign.id))
            .filter(campaign_app::Column::AttestedAt.is_null())
            .all(db)
            .await?;
        for row in rows.into_iter().filter(|r| !reminded(r, window)) {
            let txn = crate::db::begin_write(db).await?;
            let column = reminder_column(window);
            let mut claim = campaign_app::Entity::update_many()
                .col_expr(column, Expr::value(now))
                .filter(campaign_app::Column::CampaignId.eq(campaign.id))
                .filter(campaign_app::Column::ApplicationId.eq(row.application_id))
                .filter(campaign_app::Column::AttestedAt.is_null())
                .filter(column.is_null());
            for wider in REMINDER_DAYS.iter().filter(|d| **d > window) {
                if !reminded(&row, *wider) {
                    claim = claim.col_expr(reminder_column(*wider), Expr::value(now));
                }
            }
            if claim.exec(&txn).await?.rows_affected != 1 {
                continue;
            }
            let Some(request) = access_request::Entity::find_by_id(row.request_id)
                .one(&txn)
                .await?
            else {
                continue;
            };
            let name = crate::applications::snapshot::app_name(&txn, &request).await?;
            let days_left = (left.num_hours() + 23) / 24;
            let notice = Notice::ReReviewDue {
                application: &request,
                app: &name,
                campaign: campaign.id,
                title: &campaign.title,
                version: &campaign.terms_version,
                deadline: campaign.deadline,
                days_left,
            };
            notifier.send(&txn, notice, now).await?;
            txn.commit().await?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// At each passed deadline, once: suspends every app that has not
/// re-attested, with notice. Returns how many apps were suspended.
pub async fn enforce_deadlines(
    db: &DatabaseConnection,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let due = review_campaign::Entity::find()
        .filter(review_campaign::Column::EnforcedAt.is_null())
        .filter(review_campaign::Column::Deadline.lte(now))
        .all(db)
        .await?;
    let mut suspended = 0;
    for campaign in due {
        let txn = crate::db::begin_write(db).await?;
        let claimed = review_campaign::Entity::update_many()
            .col_expr(review_campaign::Column::EnforcedAt, Expr::value(now))
            .filter(review_campaign::Column::Id.eq(campaign.id))
            .filter(review_campaign::Column::EnforcedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        // Locked against a re-attestation committing at this moment: if it
        // commits first, PostgreSQL re-checks the row and leaves it out.
        let missing = campaign_app::Entity::find()
            .filter(campaign_app::Column::CampaignId.eq(campaign.id))
            .filter(campaign_app::Column::AttestedAt.is_null())
            .lock_exclusive()
            .all(&txn)
            .await?;
        let ctx = AuditContext::default();
        let reason = format!(
            "Missed the re-review deadline of {} ({}): accept terms of service version {} and re-attest in the portal to restore access.",
            format_deadline(campaign.deadline),
            campaign.title,
            campaign.terms_version
        );
        for row in &missing {
            let id = incidents::suspend_app(
                &txn,
                &ctx,
                row.application_id,
                &reason,
                campaign.created_by,
                notifier,
                now,
            )
            .await?;
            campaign_app::Entity::update_many()
                .col_expr(campaign_app::Column::SuspensionId, Expr::value(id))
                .filter(campaign_app::Column::CampaignId.eq(campaign.id))
                .filter(campaign_app::Column::ApplicationId.eq(row.application_id))
                .exec(&txn)
                .await?;
            suspended += 1;
        }
        audit::record(
            &txn,
            &ctx,
            now,
            AuditRecord::new("campaign.enforced", "review_campaign", campaign.id).after(
                serde_json::json!({ "suspended": missing.iter().map(|r| r.application_id).collect::<Vec<_>>() }),
            ),
        )
        .await?;
        invalidation::commit(txn, (!missing.is_empty()).then_some(Stale::Access)).await?;
    }
    Ok(suspended)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{
        entities::outbox_message, environment::Environment, ids::AccountId, suspensions, testing,
    };

    /// A live production app of its own developer: (developer, app id, request id).
    async fn live(db: &DatabaseConnection, email: &str, name: &str) -> (CurrentUser, Uuid, Uuid) {
        let owner = testing::account(email).insert(db).await.unwrap();
        let app = testing::production_app(owner.id, name, email)
            .insert(db)
            .await
            .unwrap();
        let mut request = testing::access_request(owner.id, app.id, "live");
        request.production_app_id = Set(Some(app.id));
        let request = request.insert(db).await.unwrap();
        let mut developer = testing::user(Role::Developer);
        developer.id = AccountId(owner.id);
        (developer, app.id, request.id)
    }

    fn campaign(deadline: DateTime<Utc>) -> NewCampaign {
        NewCampaign {
            title: "Spring re-review".into(),
            terms_version: "2027-03".into(),
            terms_text: "The new terms of service, in full.".into(),
            attestations: vec!["We still follow our privacy policy.".into(), " ".into()],
            demo_required: false,
            deadline,
        }
    }

    async fn mail_to(db: &DatabaseConnection, address: &str) -> usize {
        let all = outbox_message::Entity::find().all(db).await.unwrap();
        all.iter()
            .filter(|m| m.recipients.contains(address))
            .count()
    }

    async fn suspended(db: &DatabaseConnection, app: Uuid) -> bool {
        suspensions::active_reason(db, app, Environment::Production)
            .await
            .unwrap()
            .is_some()
    }

    #[tokio::test]
    async fn a_missed_deadline_suspends_only_the_apps_that_did_not_attest_until_they_do() {
        let db = crate::db::in_memory().await;
        let (ana, ana_app, ana_request) = live(&db, "ana@example.com", "Ana's App").await;
        let (ben, ben_app, ben_request) = live(&db, "ben@example.com", "Ben's App").await;
        let notifier = Notifier::without_worker("https://portal.example.gov");
        let ctx = AuditContext::default();
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 15, 0, 0).unwrap();
        let deadline = now + Duration::days(30);
        let admin = testing::user(Role::Admin);
        let id = start(&db, &ctx, &admin, campaign(deadline), &notifier, now)
            .await
            .unwrap();
        assert_eq!(
            (mail_to(&db, "ana@").await, mail_to(&db, "ben@").await),
            (1, 1)
        );

        let refused = attest(&db, &ctx, &ana, id, ana_request, true, &[], &notifier, now).await;
        assert!(
            matches!(&refused, Err(CampaignError::Common(Common::Invalid(e))) if e.get("attestations").is_some()),
            "the blank statement is dropped, the real one must be attested: {refused:?}"
        );
        attest(&db, &ctx, &ana, id, ana_request, true, &[0], &notifier, now)
            .await
            .unwrap();
        assert_eq!(
            enforce_deadlines(&db, &notifier, deadline - Duration::minutes(1))
                .await
                .unwrap(),
            0
        );

        let after = deadline + Duration::hours(1);
        assert_eq!(enforce_deadlines(&db, &notifier, after).await.unwrap(), 1);
        assert_eq!(
            enforce_deadlines(&db, &notifier, after).await.unwrap(),
            0,
            "enforced once"
        );
        assert!(!suspended(&db, ana_app).await);
        assert!(suspended(&db, ben_app).await);
        let ben_mail = mail_to(&db, "ben@").await;
        assert!(ben_mail >= 2, "Ben is told of the suspension");

        attest(
            &db,
            &ctx,
            &ben,
            id,
            ben_request,
            true,
            &[0],
            &notifier,
            after,
        )
        .await
        .unwrap();
        assert!(
            !suspended(&db, ben_app).await,
            "re-attesting lifts the suspension"
        );
        assert!(mail_to(&db, "ben@").await > ben_mail);
    }

    #[tokio::test]
    async fn only_admins_start_campaigns_and_developers_attest_only_their_own_apps() {
        let db = crate::db::in_memory().await;
        let (_, _, ana_request) = live(&db, "ana@example.com", "Ana's App").await;
        let (ben, _, _) = live(&db, "ben@example.com", "Ben's App").await;
        let notifier = Notifier::without_worker("https://portal.example.gov");
        let ctx = AuditContext::default();
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 15, 0, 0).unwrap();
        let deadline = now + Duration::days(30);
        let reviewer = testing::user(Role::Reviewer);
        let refused = start(&db, &ctx, &reviewer, campaign(deadline), &notifier, now).await;
        assert!(
            matches!(refused, Err(CampaignError::Common(Common::Forbidden))),
            "{refused:?}"
        );
        let admin = testing::user(Role::Admin);
        let too_soon = start(&db, &ctx, &admin, campaign(now), &notifier, now).await;
        assert!(
            matches!(&too_soon, Err(CampaignError::Common(Common::Invalid(e))) if e.get("deadline").is_some()),
            "{too_soon:?}"
        );
        let id = start(&db, &ctx, &admin, campaign(deadline), &notifier, now)
            .await
            .unwrap();
        let theirs = attest(&db, &ctx, &ben, id, ana_request, true, &[0], &notifier, now).await;
        assert!(
            matches!(theirs, Err(CampaignError::Common(Common::NotFound))),
            "{theirs:?}"
        );
        assert_eq!(
            pending_for(&db, &ben, ana_request)
                .await
                .map(|p| p.len())
                .ok(),
            None
        );
    }
}
