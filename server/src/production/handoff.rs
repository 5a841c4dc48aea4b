//! The production credential handoff. A reviewer creates the production app
//! (the approved redirect URIs, scopes and data-access type) and sends the
//! point of contact a single-use link, valid 24 hours, that works only while
//! they are signed in as that contact. Using it generates the client secret
//! and shows it once: until then no one knows the secret, and afterwards only
//! its digest is kept. A reissue replaces the link and the secret.
use chrono::{DateTime, Duration, Months, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::{listing, ProductionError};
use crate::{
    accounts::CurrentUser,
    applications::{self, AccessState, Transition},
    apps::{redirect_uri, ClientId, Environment, RedirectUri},
    audit::{self, AuditContext, AuditRecord},
    entities::{access_request, app_listing, application, application_logo, credential_handoff},
    errors::Common,
    notifications::{Notice, Notifier},
    secrets::Secret,
};

pub const LINK_VALID_HOURS: i64 = 24;

/// Where a handoff link stands, for the page the link opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    /// The signed-in contact may reveal the credentials.
    Ready {
        app_name: String,
        expires_at: DateTime<Utc>,
    },
    /// Someone is signed in, but not as the contact the link is for.
    WrongAccount {
        contact_hint: String,
    },
    Used {
        at: DateTime<Utc>,
    },
    Expired {
        at: DateTime<Utc>,
    },
    Replaced,
    Unknown,
}

/// What the contact sees once.
#[derive(Debug)]
pub struct Revealed {
    pub app_id: Uuid,
    pub client_id: String,
    pub client_secret: Secret,
}

/// A handoff link as reviewers see it (never the token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRow {
    pub contact_email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub superseded_at: Option<DateTime<Utc>>,
}

/// The handoff of one application, for reviewers and its applicant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoffView {
    pub production_app_id: Uuid,
    pub client_id: String,
    pub live_at: Option<DateTime<Utc>>,
    pub links: Vec<LinkRow>,
}

/// `a***@example.com`: enough for the contact to recognise, not to harvest.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "the point of contact".into(),
    }
}

fn point_of_contact(snapshot: &applications::Snapshot) -> String {
    snapshot
        .answer("organization", "contact_email")
        .trim()
        .to_string()
}

/// Creates the production app and sends the first link. Needs an approved listing.
pub async fn start(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Uuid, ProductionError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    let state = applications::state_of(&request)?;
    if state != AccessState::PostApprovalSubmitted || request.listing_approved_at.is_none() {
        return Err(ProductionError::Refused(
            "Production credentials are handed over after the directory listing is approved."
                .into(),
        ));
    }
    // Refused before any work, not only at the write.
    state.apply(Transition::IssueCredentials)?;
    let snapshot = crate::applications::snapshot::latest_snapshot(&txn, id)
        .await?
        .ok_or(ProductionError::Common(Common::NotFound))?;
    let listing = app_listing::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ProductionError::Common(Common::NotFound))?;
    let sandbox = application::Entity::find_by_id(request.application_id)
        .one(&txn)
        .await?
        .ok_or(ProductionError::Common(Common::NotFound))?;
    let uris = redirect_uri::parse_list(
        snapshot.answer("application", "redirect_uris"),
        Environment::Production,
    )
    .map_err(|problems| {
        ProductionError::Refused(format!(
            "The approved redirect URIs cannot be used in production: {}",
            problems.join(" ")
        ))
    })?;
    let contact = point_of_contact(&snapshot);
    if contact.is_empty() {
        return Err(ProductionError::Refused(
            "The application names no point of contact to hand the credentials to.".into(),
        ));
    }
    let app_id = Uuid::new_v4();
    let client_id = ClientId::generate();
    let data_access_type = request
        .approved_data_access_type
        .clone()
        .unwrap_or_else(|| "13-month".into());
    // The secret is generated when the contact opens the link; until then the
    // app holds the digest of one nobody has seen.
    let unseen = Secret::generate();
    let created = application::ActiveModel {
        id: Set(app_id),
        owner_id: Set(request.owner_id),
        environment: Set(Environment::Production.as_str().into()),
        name: Set(listing.name.clone()),
        // Names are unique per environment: the sandbox app may share the name.
        name_key: Set(format!("production:{}", listing.name.to_lowercase())),
        description: Set(listing.short_description.clone()),
        website_url: Set(listing.website_url.clone()),
        privacy_policy_url: Set(listing.privacy_policy_url.clone()),
        terms_url: Set(sandbox.terms_url.clone()),
        support_email: Set(listing.support_email.clone()),
        support_phone: Set(sandbox.support_phone.clone()),
        client_type: Set(sandbox.client_type.clone()),
        // Production offers only the code flow (see `oauth::authorize`): an
        // app that tried the implicit grant in the sandbox moves to it here.
        grant_type: Set("authorization-code".into()),
        redirect_uris: Set(uris
            .iter()
            .map(RedirectUri::as_str)
            .collect::<Vec<_>>()
            .join("\n")),
        requires_demographics: Set(snapshot.answer("application", "needs_demographics") == "yes"),
        data_access_type: Set(data_access_type.clone()),
        client_id: Set(client_id.as_str().into()),
        secret_hash: Set(unseen.digest().as_str().into()),
        active: Set(true),
        terms_accepted_at: Set(sandbox.terms_accepted_at),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ProductionError::Refused(format!(
            "A production app named {} already exists. Ask the applicant to rename the listing.",
            listing.name
        )),
        _ => ProductionError::from(e),
    })?;
    if let Some(logo) = application_logo::Entity::find_by_id(sandbox.id)
        .one(&txn)
        .await?
    {
        application_logo::ActiveModel {
            application_id: Set(app_id),
            ..logo.into()
        }
        .insert(&txn)
        .await?;
    }
    applications::transition(
        &txn,
        id,
        state,
        Transition::IssueCredentials,
        now,
        |update| {
            update
                .col_expr(access_request::Column::ProductionAppId, Expr::value(app_id))
                .filter(access_request::Column::ProductionAppId.is_null())
        },
    )
    .await
    .map_err(|e| match e {
        applications::TransitionError::Raced { .. } => ProductionError::Refused(
            "The production app was created by someone else at the same moment. Reload the page."
                .into(),
        ),
        e => e.into(),
    })?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("application.production_created", "application", app_id).after(serde_json::json!({
            "access_request_id": id, "name": created.name, "client_id": created.client_id,
            "redirect_uris": created.redirect_uris, "requires_demographics": created.requires_demographics,
            "data_access_type": data_access_type, "environment": "production",
        })),
    )
    .await?;
    applications::event(
        &txn,
        id,
        Some(reviewer.id),
        "credentials_issued",
        format!("Production app created. A link to collect the credentials was emailed to the point of contact ({}).", mask_email(&contact)),
        now,
    )
    .await?;
    send_link(
        &txn,
        ctx,
        reviewer,
        &request,
        app_id,
        &contact,
        &listing.name,
        "production.handoff_started",
        notifier,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(app_id)
}

/// Creates a link for `contact`, emails it to them alone, tells every contact, audits.
#[allow(clippy::too_many_arguments)]
async fn send_link(
    txn: &sea_orm::DatabaseTransaction,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    request: &access_request::Model,
    app_id: Uuid,
    contact: &str,
    app_name: &str,
    action: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ProductionError> {
    let token = Secret::generate();
    let expires_at = now + Duration::hours(LINK_VALID_HOURS);
    let handoff_id = Uuid::new_v4();
    credential_handoff::ActiveModel {
        id: Set(handoff_id),
        request_id: Set(request.id),
        application_id: Set(app_id),
        contact_email: Set(contact.into()),
        token_hash: Set(token.digest().as_str().into()),
        created_by: Set(reviewer.id.0),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        used_by: Set(None),
        superseded_at: Set(None),
    }
    .insert(txn)
    .await?;
    let link = Notice::CredentialsLink {
        contact,
        app: app_name,
        token: token.expose(),
        expires_at,
    };
    notifier.send(txn, link, now).await?;
    let sent = Notice::CredentialsSent {
        application: request,
        app: app_name,
        contact: &mask_email(contact),
        expires_at,
        reissued: action != "production.handoff_started",
    };
    notifier.send(txn, sent, now).await?;
    audit::record(
        txn,
        ctx,
        now,
        AuditRecord::new(action, "credential_handoff", handoff_id).after(serde_json::json!({
            "access_request_id": request.id, "application_id": app_id,
            "contact_email": contact, "expires_at": expires_at,
        })),
    )
    .await?;
    Ok(())
}

/// Replaces every unused link with a new one and the secret with one nobody
/// has seen: whoever held the old link or secret is locked out at once.
pub async fn reissue(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ProductionError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    let state = applications::state_of(&request)?;
    let app_id = match (state, request.production_app_id) {
        (AccessState::CredentialsIssued | AccessState::Live, Some(app)) => app,
        _ => {
            return Err(ProductionError::Refused(
                "There are no production credentials to reissue yet.".into(),
            ))
        }
    };
    let app = application::Entity::find_by_id(app_id)
        .one(&txn)
        .await?
        .ok_or(ProductionError::Common(Common::NotFound))?;
    let snapshot = crate::applications::snapshot::latest_snapshot(&txn, id)
        .await?
        .ok_or(ProductionError::Common(Common::NotFound))?;
    let contact = point_of_contact(&snapshot);
    let replaced = credential_handoff::Entity::update_many()
        .col_expr(credential_handoff::Column::SupersededAt, Expr::value(now))
        .filter(credential_handoff::Column::RequestId.eq(id))
        .filter(credential_handoff::Column::UsedAt.is_null())
        .filter(credential_handoff::Column::SupersededAt.is_null())
        .exec(&txn)
        .await?;
    let unseen = Secret::generate();
    let mut row: application::ActiveModel = app.clone().into();
    row.secret_hash = Set(unseen.digest().as_str().into());
    row.previous_secret_hash = Set(None);
    row.previous_secret_expires_at = Set(None);
    row.updated_at = Set(now);
    row.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("application.secret_rotated", "application", app_id).after(
            serde_json::json!({ "reason": "credential handoff reissued", "links_replaced": replaced.rows_affected }),
        ),
    )
    .await?;
    applications::event(
        &txn,
        id,
        Some(reviewer.id),
        "credentials_reissued",
        format!("Production credentials reissued: a new link went to the point of contact ({}); the previous secret no longer works.", mask_email(&contact)),
        now,
    )
    .await?;
    send_link(
        &txn,
        ctx,
        reviewer,
        &request,
        app_id,
        &contact,
        &app.name,
        "production.handoff_reissued",
        notifier,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn find_link(
    db: &impl sea_orm::ConnectionTrait,
    token: &str,
) -> Result<Option<credential_handoff::Model>, sea_orm::DbErr> {
    let digest = Secret::from_presented(token).digest();
    credential_handoff::Entity::find()
        .filter(credential_handoff::Column::TokenHash.eq(digest.as_str()))
        .one(db)
        .await
}

fn status_of(
    link: &credential_handoff::Model,
    viewer: &CurrentUser,
    app_name: String,
    now: DateTime<Utc>,
) -> LinkStatus {
    if let Some(at) = link.used_at {
        LinkStatus::Used { at }
    } else if link.superseded_at.is_some() {
        LinkStatus::Replaced
    } else if link.expires_at <= now {
        LinkStatus::Expired {
            at: link.expires_at,
        }
    } else if !viewer.verified || !viewer.email.eq_ignore_ascii_case(&link.contact_email) {
        LinkStatus::WrongAccount {
            contact_hint: mask_email(&link.contact_email),
        }
    } else {
        LinkStatus::Ready {
            app_name,
            expires_at: link.expires_at,
        }
    }
}

/// What the link's page shows to `viewer`, without using the link.
pub async fn inspect(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    token: &str,
    now: DateTime<Utc>,
) -> Result<LinkStatus, ProductionError> {
    let Some(link) = find_link(db, token).await? else {
        return Ok(LinkStatus::Unknown);
    };
    let name = application::Entity::find_by_id(link.application_id)
        .one(db)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    Ok(status_of(&link, viewer, name, now))
}

/// Uses the link: generates the production secret, shows it once, and makes
/// the app live. Refusals say why; a refused attempt by another account is audited.
pub async fn reveal(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    viewer: &CurrentUser,
    token: &str,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Revealed, ProductionError> {
    let Some(link) = find_link(db, token).await? else {
        return Err(ProductionError::Refused(refusal(&LinkStatus::Unknown)));
    };
    let app = application::Entity::find_by_id(link.application_id)
        .one(db)
        .await?
        .ok_or(ProductionError::Common(Common::NotFound))?;
    let status = status_of(&link, viewer, app.name.clone(), now);
    if !matches!(status, LinkStatus::Ready { .. }) {
        if matches!(status, LinkStatus::WrongAccount { .. }) {
            let txn = crate::db::begin_write(db).await?;
            audit::record(
                &txn,
                ctx,
                now,
                AuditRecord::new("production.handoff_refused", "credential_handoff", link.id)
                    .after(serde_json::json!({ "reason": "signed in as another account", "account": viewer.email })),
            )
            .await?;
            txn.commit().await?;
        }
        return Err(ProductionError::Refused(refusal(&status)));
    }
    let txn = crate::db::begin_write(db).await?;
    // Single use even against two clicks at once: only one update can match.
    let claimed = credential_handoff::Entity::update_many()
        .col_expr(credential_handoff::Column::UsedAt, Expr::value(now))
        .col_expr(credential_handoff::Column::UsedBy, Expr::value(viewer.id.0))
        .filter(credential_handoff::Column::Id.eq(link.id))
        .filter(credential_handoff::Column::UsedAt.is_null())
        .filter(credential_handoff::Column::SupersededAt.is_null())
        .filter(credential_handoff::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ProductionError::Refused(refusal(&LinkStatus::Used {
            at: now,
        })));
    }
    let secret = Secret::generate();
    let first_time = app.live_at.is_none();
    let mut row: application::ActiveModel = app.clone().into();
    row.secret_hash = Set(secret.digest().as_str().into());
    row.previous_secret_hash = Set(None);
    row.previous_secret_expires_at = Set(None);
    if first_time {
        row.live_at = Set(Some(now));
        row.renewal_due_at = Set(Some(now.checked_add_months(Months::new(12)).unwrap_or(now)));
    }
    row.updated_at = Set(now);
    row.update(&txn).await?;
    let request = applications::find(&txn, link.request_id).await?;
    let state = applications::state_of(&request)?;
    if state == AccessState::CredentialsIssued {
        listing::move_by(&txn, request.id, state, Transition::GoLive, now).await?;
    }
    applications::event(
        &txn,
        request.id,
        Some(viewer.id),
        "credentials_revealed",
        format!(
            "The production credentials were collected by {}.",
            viewer.email
        ),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("production.credentials_revealed", "application", app.id).after(
            serde_json::json!({
                "handoff_id": link.id, "revealed_to": viewer.email, "client_id": app.client_id,
                "went_live": first_time,
            }),
        ),
    )
    .await?;
    let collected = Notice::CredentialsCollected {
        application: &request,
        app: &app.name,
        app_id: app.id,
        by: &viewer.email,
        at: now,
    };
    notifier.send(&txn, collected, now).await?;
    txn.commit().await?;
    Ok(Revealed {
        app_id: app.id,
        client_id: app.client_id,
        client_secret: secret,
    })
}

/// The production app (id, client id, name) whose credentials `viewer`
/// collected through this link, if they did.
pub async fn collected_by(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    token: &str,
) -> Result<Option<(Uuid, String, String)>, ProductionError> {
    let Some(link) = find_link(db, token).await? else {
        return Ok(None);
    };
    if link.used_by != Some(viewer.id.0) {
        return Ok(None);
    }
    Ok(application::Entity::find_by_id(link.application_id)
        .one(db)
        .await?
        .map(|a| (a.id, a.client_id, a.name)))
}

/// Why a link cannot be used, for the person holding it.
pub fn refusal(status: &LinkStatus) -> String {
    match status {
        LinkStatus::Ready { .. } => String::new(),
        LinkStatus::WrongAccount { contact_hint } => format!("This link is for the app's point of contact ({contact_hint}). Sign out and sign in with that account to use it."),
        LinkStatus::Used { .. } => "This link was already used: the credentials were shown once. If you did not keep the secret, ask the Blue Button team to reissue the credentials.".into(),
        LinkStatus::Expired { .. } => "This link has expired (links work for 24 hours). Ask the Blue Button team to send a new one.".into(),
        LinkStatus::Replaced => "This link was replaced by a newer one. Use the link in the most recent email.".into(),
        LinkStatus::Unknown => "This link is not valid. Check that you copied the whole address from the email.".into(),
    }
}

/// The handoff of application `id`, for its applicant or a reviewer.
pub async fn view(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<Option<HandoffView>, ProductionError> {
    let request = applications::find(db, id).await?;
    if !applications::may_read(&request, viewer) {
        return Err(ProductionError::Common(Common::NotFound));
    }
    let Some(app_id) = request.production_app_id else {
        return Ok(None);
    };
    let Some(app) = application::Entity::find_by_id(app_id).one(db).await? else {
        return Ok(None);
    };
    let links = credential_handoff::Entity::find()
        .filter(credential_handoff::Column::RequestId.eq(id))
        .order_by_desc(credential_handoff::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|l| LinkRow {
            contact_email: l.contact_email,
            created_at: l.created_at,
            expires_at: l.expires_at,
            used_at: l.used_at,
            superseded_at: l.superseded_at,
        })
        .collect();
    Ok(Some(HandoffView {
        production_app_id: app.id,
        client_id: app.client_id,
        live_at: app.live_at,
        links,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_masked_but_recognisable() {
        assert_eq!(
            mask_email("pat.lee@tracker.example"),
            "p***@tracker.example"
        );
        assert_eq!(mask_email("nonsense"), "the point of contact");
    }
}
