//! Registered apps (OAuth clients): sandbox registration, credentials, secret
//! rotation and deletion. Every lookup is keyed on the owner as well as the
//! app id, so one developer can never reach another's app.
pub mod http;
pub mod logo;

use chrono::{DateTime, Utc};
use rand::{distributions::Alphanumeric, Rng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use sha2::Digest;
use uuid::Uuid;
use validator::Validate;

pub use crate::{
    environment::Environment,
    invalidation::{self, Stale},
    oauth::redirect_uri::{self, RedirectUri},
};

use crate::{
    accounts::CurrentUser,
    audit::{self, AuditContext, AuditRecord},
    entities::{
        access_request, access_token, api_access, application, application_logo, data_access_grant,
    },
    errors::Common,
    ids::AccountId,
    secrets::Secret,
    validation::FieldErrors,
};

/// An app's public OAuth identifier: 40 random letters and digits (≈238 bits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientId(String);

impl ClientId {
    pub fn generate() -> Self {
        Self(
            rand::rngs::OsRng
                .sample_iter(&Alphanumeric)
                .take(40)
                .map(char::from)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppsError {
    /// Refusals and failures every feature has; see [`crate::errors`].
    #[error(transparent)]
    Common(Common),
    #[error("confirm your email address before registering apps")]
    Unverified,
    #[error("the app has a submitted production-access application")]
    HasApplication,
    #[error("{0}")]
    Logo(#[from] logo::LogoError),
}

crate::wraps_common!(AppsError);

/// The registration form.
#[derive(Clone, Debug, Validate)]
pub struct Registration {
    #[validate(length(min = 1, max = 100, message = "Enter a name of up to 100 characters."))]
    pub name: String,
    #[validate(length(max = 1000, message = "Keep the description to 1,000 characters."))]
    pub description: String,
    #[validate(url(message = "Enter the full address, like https://example.com."))]
    pub website_url: String,
    #[validate(url(message = "Enter the full address of your privacy policy."))]
    pub privacy_policy_url: String,
    #[validate(url(message = "Enter the full address of your terms of service."))]
    pub terms_url: String,
    #[validate(email(message = "Enter a valid email address for support."))]
    pub support_email: String,
    pub support_phone: String,
    pub client_type: String,
    pub grant_type: String,
    pub redirect_uris: String,
    pub requires_demographics: bool,
    pub accept_terms: bool,
}

impl Registration {
    /// A registration for scripted set-ups (the `portal app create` command):
    /// the descriptive fields get placeholder values under example.org and the
    /// owner's email as support address; the developer accepted the Terms at sign-up.
    pub fn scripted(
        name: &str,
        client_type: &str,
        grant_type: &str,
        redirect_uris: &str,
        requires_demographics: bool,
        owner_email: &str,
    ) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            website_url: "https://example.org/".into(),
            privacy_policy_url: "https://example.org/privacy".into(),
            terms_url: "https://example.org/terms".into(),
            support_email: owner_email.into(),
            support_phone: "+1 000-000-0000".into(),
            client_type: client_type.into(),
            grant_type: grant_type.into(),
            redirect_uris: redirect_uris.into(),
            requires_demographics,
            accept_terms: true,
        }
    }
}

/// What an app's owner sees (never the secret or its digest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppView {
    pub id: Uuid,
    pub environment: String,
    pub name: String,
    pub description: String,
    pub website_url: String,
    pub privacy_policy_url: String,
    pub terms_url: String,
    pub support_email: String,
    pub support_phone: String,
    pub client_type: String,
    pub grant_type: String,
    pub redirect_uris: Vec<String>,
    pub requires_demographics: bool,
    pub scopes: Vec<String>,
    pub data_access_type: String,
    pub client_id: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// When the current logo was uploaded, if there is one.
    pub logo_uploaded_at: Option<DateTime<Utc>>,
    /// Until when the secret a rotation replaced still works.
    pub retiring_secret_until: Option<DateTime<Utc>>,
    pub live_at: Option<DateTime<Utc>>,
    pub renewal_due_at: Option<DateTime<Utc>>,
}

impl AppView {
    fn from_model(m: application::Model) -> Self {
        let scopes = crate::oauth::scopes::ScopeSet::for_app(m.requires_demographics)
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        Self {
            id: m.id,
            environment: m.environment,
            name: m.name,
            description: m.description,
            website_url: m.website_url,
            privacy_policy_url: m.privacy_policy_url,
            terms_url: m.terms_url,
            support_email: m.support_email,
            support_phone: m.support_phone,
            client_type: m.client_type,
            grant_type: m.grant_type,
            redirect_uris: m.redirect_uris.lines().map(str::to_string).collect(),
            requires_demographics: m.requires_demographics,
            scopes,
            data_access_type: m.data_access_type,
            client_id: m.client_id,
            active: m.active,
            created_at: m.created_at,
            logo_uploaded_at: None,
            retiring_secret_until: m.previous_secret_expires_at,
            live_at: m.live_at,
            renewal_due_at: m.renewal_due_at,
        }
    }
}

/// A new app's credentials; the secret is shown once and never stored.
#[derive(Debug)]
pub struct NewCredentials {
    pub app: AppView,
    pub client_secret: Secret,
}

fn snapshot(m: &application::Model) -> serde_json::Value {
    serde_json::json!({
        "name": m.name, "environment": m.environment, "client_id": m.client_id,
        "client_type": m.client_type, "grant_type": m.grant_type, "redirect_uris": m.redirect_uris,
        "requires_demographics": m.requires_demographics, "active": m.active,
    })
}

fn check_phone(errors: &mut FieldErrors, phone: &str) {
    if !crate::validation::is_phone(phone) {
        errors.add(
            "support_phone",
            "Enter a phone number, like +1 410-555-0100.",
        );
    }
}

/// Registers a sandbox app for `owner`.
pub async fn register(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: &CurrentUser,
    form: Registration,
    now: DateTime<Utc>,
) -> Result<NewCredentials, AppsError> {
    if !owner.verified {
        return Err(AppsError::Unverified);
    }
    let mut errors: FieldErrors = form.validate().err().map(Into::into).unwrap_or_default();
    if form.description.contains('<') || form.description.contains('>') {
        errors.add(
            "description",
            "Use plain text: the description may not contain < or >.",
        );
    }
    for (field, value) in [
        ("website_url", &form.website_url),
        ("privacy_policy_url", &form.privacy_policy_url),
        ("terms_url", &form.terms_url),
    ] {
        if !crate::validation::is_https_link(value) {
            errors.add(
                field,
                "Use an https:// address: enrollees follow it from the consent page.",
            );
        }
    }
    check_phone(&mut errors, &form.support_phone);
    let client_type = match form.client_type.as_str() {
        "confidential" | "public" => form.client_type.clone(),
        _ => {
            errors.add("client_type", "Choose confidential or public.");
            String::new()
        }
    };
    match form.grant_type.as_str() {
        "authorization-code" => {}
        "implicit" if client_type == "public" => {}
        "implicit" => errors.add(
            "grant_type",
            "The implicit grant is only for public clients.",
        ),
        _ => errors.add("grant_type", "Choose authorization code or implicit."),
    }
    let uris = match redirect_uri::parse_list(&form.redirect_uris, Environment::Sandbox) {
        Ok(uris) => uris,
        Err(problems) => {
            errors.add("redirect_uris", problems.join(" "));
            vec![]
        }
    };
    if !form.accept_terms {
        errors.add(
            "accept_terms",
            "You must accept the API Terms of Service to register an app.",
        );
    }
    let name = form.name.trim().to_string();
    let name_key = name.to_lowercase();
    if !name.is_empty()
        && application::Entity::find()
            .filter(application::Column::NameKey.eq(&name_key))
            .one(db)
            .await?
            .is_some()
    {
        errors.add(
            "name",
            "An app with this name already exists. Choose another name.",
        );
    }
    errors.into_result()?;

    let client_id = ClientId::generate();
    let secret = Secret::generate();
    let id = Uuid::new_v4();
    let txn = crate::db::begin_write(db).await?;
    let created = application::ActiveModel {
        id: Set(id),
        owner_id: Set(owner.id.0),
        environment: Set(Environment::Sandbox.as_str().into()),
        name: Set(name),
        name_key: Set(name_key),
        description: Set(form.description.trim().into()),
        website_url: Set(form.website_url.trim().into()),
        privacy_policy_url: Set(form.privacy_policy_url.trim().into()),
        terms_url: Set(form.terms_url.trim().into()),
        support_email: Set(form.support_email.trim().into()),
        support_phone: Set(form.support_phone.trim().into()),
        client_type: Set(client_type),
        grant_type: Set(form.grant_type),
        redirect_uris: Set(uris
            .iter()
            .map(RedirectUri::as_str)
            .collect::<Vec<_>>()
            .join("\n")),
        requires_demographics: Set(form.requires_demographics),
        data_access_type: Set("13-month".into()),
        client_id: Set(client_id.as_str().into()),
        secret_hash: Set(secret.digest().as_str().into()),
        active: Set(true),
        terms_accepted_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "name",
                "An app with this name already exists. Choose another name.",
            );
            AppsError::from(errors)
        }
        _ => AppsError::from(e),
    })?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("application.registered", "application", id).after(snapshot(&created)),
    )
    .await?;
    txn.commit().await?;
    Ok(NewCredentials {
        app: AppView::from_model(created),
        client_secret: secret,
    })
}

/// `owner`'s apps, newest first.
pub async fn list_for_owner(
    db: &DatabaseConnection,
    owner: AccountId,
) -> Result<Vec<AppView>, DbErr> {
    Ok(application::Entity::find()
        .filter(application::Column::OwnerId.eq(owner.0))
        .order_by_desc(application::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(AppView::from_model)
        .collect())
}

/// One of `owner`'s apps, read through `db` (a transaction or the pool).
pub(crate) async fn owned(
    db: &impl sea_orm::ConnectionTrait,
    owner: AccountId,
    app: Uuid,
) -> Result<application::Model, AppsError> {
    application::Entity::find_by_id(app)
        .filter(application::Column::OwnerId.eq(owner.0))
        .one(db)
        .await?
        .ok_or(AppsError::Common(Common::NotFound))
}

/// One of `owner`'s apps; another developer's app is [`AppsError::Common(Common::NotFound)`].
pub async fn get_for_owner(
    db: &DatabaseConnection,
    owner: AccountId,
    app: Uuid,
) -> Result<AppView, AppsError> {
    let mut view = AppView::from_model(owned(db, owner, app).await?);
    view.logo_uploaded_at = application_logo::Entity::find_by_id(app)
        .select_only()
        .column(application_logo::Column::UploadedAt)
        .into_tuple()
        .one(db)
        .await?;
    Ok(view)
}

/// API calls of one kind over a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRow {
    /// `ExplanationOfBenefit search`, `Patient read`, `userinfo read`, …
    pub endpoint: String,
    pub calls: i64,
    /// Responses with a 4xx or 5xx status.
    pub errors: i64,
}

/// The calls one of `owner`'s apps made since `since`, by endpoint, busiest first.
pub async fn usage(
    db: &DatabaseConnection,
    owner: AccountId,
    app: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<UsageRow>, AppsError> {
    owned(db, owner, app).await?;
    let rows: Vec<(String, String, i64, i64)> = api_access::Entity::find()
        .select_only()
        .column(api_access::Column::Resource)
        .column(api_access::Column::Interaction)
        .column_as(api_access::Column::Id.count(), "calls")
        .column_as(
            sea_orm::sea_query::Expr::cust("SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END)"),
            "errors",
        )
        .filter(api_access::Column::ApplicationId.eq(app))
        .filter(api_access::Column::OccurredAt.gte(since))
        .group_by(api_access::Column::Resource)
        .group_by(api_access::Column::Interaction)
        .into_tuple()
        .all(db)
        .await?;
    let mut usage: Vec<UsageRow> = rows
        .into_iter()
        .map(|(resource, interaction, calls, errors)| UsageRow {
            endpoint: format!("{resource} {interaction}"),
            calls,
            errors,
        })
        .collect();
    usage.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.endpoint.cmp(&b.endpoint)));
    Ok(usage)
}

/// Replaces the logo of one of `owner`'s apps after checking the file's content.
pub async fn set_logo(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: AccountId,
    app: Uuid,
    bytes: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(), AppsError> {
    let logo = logo::Logo::parse(bytes)?;
    let digest = hex::encode(sha2::Sha256::digest(&logo.bytes));
    let txn = crate::db::begin_write(db).await?;
    owned(&txn, owner, app).await?;
    application_logo::Entity::delete_by_id(app)
        .exec(&txn)
        .await?;
    application_logo::ActiveModel {
        application_id: Set(app),
        content_type: Set(logo.format.content_type().into()),
        content: Set(logo.bytes),
        sha256: Set(digest.clone()),
        width: Set(logo.width as i32),
        height: Set(logo.height as i32),
        uploaded_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("application.logo_uploaded", "application", app).after(serde_json::json!({
            "sha256": digest, "content_type": logo.format.content_type(), "width": logo.width, "height": logo.height,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An app's logo: content type and bytes. Logos are public (consent pages show them).
pub async fn logo(db: &DatabaseConnection, app: Uuid) -> Result<Option<(String, Vec<u8>)>, DbErr> {
    Ok(application_logo::Entity::find_by_id(app)
        .one(db)
        .await?
        .map(|l| (l.content_type, l.content)))
}

/// Adds `uri` to the redirect URIs of one of `owner`'s sandbox apps (the test client
/// offers this for its own callback). Already registered: nothing changes.
pub async fn add_redirect_uri(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: AccountId,
    app: Uuid,
    uri: &str,
    now: DateTime<Utc>,
) -> Result<(), AppsError> {
    let txn = crate::db::begin_write(db).await?;
    let model = owned(&txn, owner, app).await?;
    let environment = Environment::parse(&model.environment).unwrap_or(Environment::Sandbox);
    // The test client's shortcut: a production app's redirect URIs were
    // reviewed, and change only through review.
    if environment != Environment::Sandbox {
        let mut errors = FieldErrors::new();
        errors.add(
            "redirect_uris",
            "The test client works with sandbox apps only; a production app's redirect URIs change through review.",
        );
        return Err(AppsError::from(errors));
    }
    let uri = RedirectUri::parse(uri, environment).map_err(|e| {
        let mut errors = FieldErrors::new();
        errors.add("redirect_uris", e.to_string());
        AppsError::from(errors)
    })?;
    let mut uris: Vec<String> = model.redirect_uris.lines().map(str::to_string).collect();
    if uris.iter().any(|u| u == uri.as_str()) {
        return Ok(());
    }
    if uris.len() >= redirect_uri::MAX_PER_APP {
        let mut errors = FieldErrors::new();
        errors.add(
            "redirect_uris",
            format!(
                "An app may register at most {} redirect URIs.",
                redirect_uri::MAX_PER_APP
            ),
        );
        return Err(AppsError::from(errors));
    }
    let before = model.redirect_uris.clone();
    uris.push(uri.as_str().to_string());
    let mut row = model.into_active_model();
    row.redirect_uris = Set(uris.join("\n"));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("application.redirect_uri_added", "application", app)
            .before(serde_json::json!({ "redirect_uris": before }))
            .after(serde_json::json!({ "redirect_uris": updated.redirect_uris })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The longest a rotated-out secret may keep working.
pub const MAX_SECRET_GRACE_HOURS: i64 = 24;

/// Replaces the client secret. The old one stops working at once, or after
/// `grace_hours` (at most 24) so a deployment can switch over without an outage.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: AccountId,
    app: Uuid,
    grace_hours: i64,
    now: DateTime<Utc>,
) -> Result<Secret, AppsError> {
    if !(0..=MAX_SECRET_GRACE_HOURS).contains(&grace_hours) {
        let mut errors = FieldErrors::new();
        errors.add(
            "grace_hours",
            "Choose a grace period from none to 24 hours.",
        );
        return Err(AppsError::from(errors));
    }
    let txn = crate::db::begin_write(db).await?;
    let model = owned(&txn, owner, app).await?;
    let secret = Secret::generate();
    let old_hash = model.secret_hash.clone();
    let mut row = model.into_active_model();
    row.secret_hash = Set(secret.digest().as_str().into());
    let old_works_until = (grace_hours > 0).then(|| now + chrono::Duration::hours(grace_hours));
    row.previous_secret_hash = Set(old_works_until.map(|_| old_hash));
    row.previous_secret_expires_at = Set(old_works_until);
    row.updated_at = Set(now);
    row.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("application.secret_rotated", "application", app).after(
            serde_json::json!({ "grace_hours": grace_hours, "old_secret_works_until": old_works_until }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

/// Deletes the app. Its grants, codes and tokens go with it (foreign keys
/// cascade), so every credential it held stops working at once.
pub async fn delete(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: AccountId,
    app: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppsError> {
    let txn = crate::db::begin_write(db).await?;
    let model = owned(&txn, owner, app).await?;
    // A submitted application is a record reviewers rely on: the app stays.
    // An unsubmitted draft goes with the app.
    if let Some(request) = access_request::Entity::find()
        .filter(access_request::Column::ApplicationId.eq(model.id))
        .one(&txn)
        .await?
    {
        if request.current_version > 0 {
            return Err(AppsError::HasApplication);
        }
        access_request::Entity::delete_by_id(request.id)
            .exec(&txn)
            .await?;
    }
    let before = snapshot(&model);
    let live_tokens = access_token::Entity::find()
        .filter(access_token::Column::ApplicationId.eq(model.id))
        .filter(access_token::Column::RevokedAt.is_null())
        .count(&txn)
        .await?;
    let grants = data_access_grant::Entity::find()
        .filter(data_access_grant::Column::ApplicationId.eq(model.id))
        .filter(data_access_grant::Column::RevokedAt.is_null())
        .count(&txn)
        .await?;
    application::Entity::delete_by_id(model.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("application.deleted", "application", app)
            .before(before)
            .after(
                serde_json::json!({ "grants_ended": grants, "access_tokens_revoked": live_tokens }),
            ),
    )
    .await?;
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_long_random_and_alphanumeric() {
        let (a, b) = (ClientId::generate(), ClientId::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 40);
        assert!(a.as_str().chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn phone_numbers_need_digits_and_nothing_odd() {
        for (phone, ok) in [
            ("+1 410-555-0100", true),
            ("(410) 555 0100 x12", true),
            ("555", false),
            ("call me", false),
        ] {
            let mut errors = FieldErrors::new();
            check_phone(&mut errors, phone);
            assert_eq!(errors.is_empty(), ok, "{phone}");
        }
    }
}
