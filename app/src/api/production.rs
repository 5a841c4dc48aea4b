//! After approval: the post-approval form (directory listing) and its review,
//! the credential handoff, the public directory, and a live app's usage.
use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingVerdictDto {
    pub key: String,
    pub label: String,
    /// `pass`, `needs_change` or empty.
    pub verdict: String,
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDto {
    pub contact: String,
    pub created: String,
    pub expires: String,
    /// In words: waiting, used on …, replaced, expired.
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffDto {
    pub production_app_id: String,
    pub client_id: String,
    pub live_since: Option<String>,
    pub links: Vec<LinkDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingDto {
    pub id: String,
    pub app_id: String,
    pub has_logo: bool,
    pub state: String,
    pub state_label: String,
    pub editable: bool,
    pub reviewable: bool,
    pub approved: Option<String>,
    pub submitted: Option<String>,
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub website_url: String,
    pub privacy_policy_url: String,
    pub support_email: String,
    pub support_url: String,
    pub categories: Vec<String>,
    pub platforms: Vec<String>,
    pub revision: i32,
    pub verdicts: Vec<ListingVerdictDto>,
    /// What the applicant does or waits for next.
    pub next_step: String,
    /// For reviewers, while the listing is not theirs to judge.
    pub waiting_note: String,
    pub handoff: Option<HandoffDto>,
    /// Reviewers: whether the handoff can start, or be reissued.
    pub can_start_handoff: bool,
    pub can_reissue: bool,
    /// The choices, key and label (the lists live on the server).
    pub category_options: Vec<(String, String)>,
    pub platform_options: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
fn options(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, l)| (k.to_string(), l.to_string()))
        .collect()
}

#[cfg(feature = "ssr")]
fn eastern(at: chrono::DateTime<chrono::Utc>) -> String {
    server::calendar::format_eastern(at, "%b %-d, %Y, %-I:%M %p")
}

#[cfg(feature = "ssr")]
fn production_error(error: server::production::ProductionError) -> AppError {
    use server::production::ProductionError;
    match error {
        ProductionError::Common(c) => super::ssr::common(c, "We could not find that application."),
        ProductionError::Refused(message) => AppError::Message(message),
        ProductionError::Illegal(e) => AppError::Message(format!(
            "That is not possible while the application is {}; reload the page to see where it stands.",
            e.from.label().to_lowercase()
        )),
        ProductionError::Application(e) => super::access::access_error(e),
    }
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    super::format::id(id, "We could not find that application.")
}

#[server(endpoint = "production/listing")]
pub async fn get_listing(id: String) -> Result<ListingDto, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let id = parse_id(&id)?;
    let db = &call.state.db;
    let listing = server::production::listing::get(db, &user, id)
        .await
        .map_err(production_error)?;
    let handoff = server::production::handoff::view(db, &user, id)
        .await
        .map_err(production_error)?;
    let now = call.now();
    let reviewer = user.role.can_review();
    use server::{applications::AccessState, production::listing::ListingStage as Stage};
    let stage = listing.stage();
    let next_step = match stage {
        Stage::ChangesRequested => "The reviewer asked for changes to your directory listing. Update it and submit it again.",
        Stage::ToFill => "Fill in the post-approval form: how your app appears in the Medicare connected-apps directory.",
        Stage::Approved => "Your listing is approved and in the directory. The production credentials are handed over next: your point of contact will get an email.",
        Stage::UnderReview => "A reviewer is checking your directory listing.",
        Stage::CredentialsSent => "Your point of contact was emailed a single-use link to collect the production credentials. It works for 24 hours, while they are signed in.",
        Stage::InProduction => "Your app is live in production.",
    };
    let waiting_note = match (&listing.approved_at, stage) {
        (Some(at), _) => format!("Listing approved {}.", eastern(*at)),
        (None, Stage::ChangesRequested) => {
            "Changes were requested; waiting for the applicant.".to_string()
        }
        (None, Stage::ToFill) => {
            "Waiting for the applicant to fill in the post-approval form.".to_string()
        }
        _ => "Waiting for the applicant.".to_string(),
    };
    Ok(ListingDto {
        next_step: next_step.into(),
        waiting_note,
        id: id.to_string(),
        app_id: listing.app_id.to_string(),
        has_logo: listing.has_logo,
        state: listing.state.as_str().into(),
        state_label: listing.state.label().into(),
        editable: listing.editable() && listing.owner_id == user.id.0,
        category_options: options(server::production::listing::CATEGORIES),
        platform_options: options(server::production::listing::PLATFORMS),
        reviewable: listing.reviewable() && reviewer,
        approved: listing.approved_at.map(eastern),
        submitted: listing.submitted_at.map(eastern),
        can_start_handoff: reviewer
            && listing.state == AccessState::PostApprovalSubmitted
            && listing.approved_at.is_some(),
        can_reissue: reviewer
            && matches!(
                listing.state,
                AccessState::CredentialsIssued | AccessState::Live
            ),
        name: listing.name,
        short_description: listing.short_description,
        long_description: listing.long_description,
        website_url: listing.website_url,
        privacy_policy_url: listing.privacy_policy_url,
        support_email: listing.support_email,
        support_url: listing.support_url,
        categories: listing.categories,
        platforms: listing.platforms,
        revision: listing.revision,
        verdicts: listing
            .verdicts
            .into_iter()
            .map(|v| ListingVerdictDto {
                key: v.key.into(),
                label: v.label.into(),
                verdict: v
                    .verdict
                    .map(|v| v.as_str().to_string())
                    .unwrap_or_default(),
                comment: v.comment,
            })
            .collect(),
        handoff: handoff.map(|h| HandoffDto {
            production_app_id: h.production_app_id.to_string(),
            client_id: h.client_id,
            live_since: h.live_at.map(eastern),
            links: h
                .links
                .into_iter()
                .map(|l| LinkDto {
                    status: match (l.used_at, l.superseded_at) {
                        (Some(at), _) => format!("Used {}", eastern(at)),
                        (None, Some(_)) => "Replaced by a newer link".into(),
                        (None, None) if l.expires_at <= now => "Expired unused".into(),
                        (None, None) => "Waiting to be used".into(),
                    },
                    contact: l.contact_email,
                    created: eastern(l.created_at),
                    expires: eastern(l.expires_at),
                })
                .collect(),
        }),
    })
}

#[server(endpoint = "production/save_listing")]
#[allow(clippy::too_many_arguments)]
pub async fn save_listing(
    id: String,
    name: String,
    short_description: String,
    long_description: String,
    website_url: String,
    privacy_policy_url: String,
    support_email: String,
    #[server(default)] support_url: String,
    #[server(default)] categories: BTreeMap<String, String>,
    #[server(default)] platforms: BTreeMap<String, String>,
    revision: String,
    #[server(default)] intent: String,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let submit = intent == "submit";
    let kept_categories = categories.keys().cloned().collect::<Vec<_>>().join(",");
    let kept_platforms = platforms.keys().cloned().collect::<Vec<_>>().join(",");
    let kept = [
        ("name", name.clone()),
        ("short_description", short_description.clone()),
        ("long_description", long_description.clone()),
        ("website_url", website_url.clone()),
        ("privacy_policy_url", privacy_policy_url.clone()),
        ("support_email", support_email.clone()),
        ("support_url", support_url.clone()),
        ("categories", kept_categories),
        ("platforms", kept_platforms),
    ];
    let form = server::production::listing::ListingForm {
        name,
        short_description,
        long_description,
        website_url,
        privacy_policy_url,
        support_email,
        support_url,
        categories: categories.into_keys().collect(),
        platforms: platforms.into_keys().collect(),
        revision: revision.trim().parse().unwrap_or(-1),
    };
    server::production::listing::save(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        form,
        submit,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| {
        let kept: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
        production_error(e).keeping(&kept)
    })?;
    if submit {
        call.redirect(&format!("/access/{id}?listing_submitted=1"));
    } else {
        call.redirect(&format!("/access/{id}/listing?saved=1"));
    }
    Ok(())
}

#[server(endpoint = "production/evaluate_listing")]
pub async fn evaluate_listing(
    id: String,
    #[server(default)] verdict: BTreeMap<String, String>,
    #[server(default)] comment: BTreeMap<String, String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    let (evaluations, kept) = super::review::evaluations_from_form(&verdict, &comment);
    server::production::listing::evaluate(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &evaluations,
        call.now(),
    )
    .await
    .map_err(|e| {
        let kept: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        production_error(e).keeping(&kept)
    })?;
    call.redirect(&format!("/review/{id}?listing_saved=1#listing"));
    Ok(())
}

#[server(endpoint = "production/request_listing_changes")]
pub async fn request_listing_changes(id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    server::production::listing::request_changes(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(production_error)?;
    call.redirect(&format!("/review/{id}?listing_returned=1#listing"));
    Ok(())
}

#[server(endpoint = "production/approve_listing")]
pub async fn approve_listing(id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    server::production::listing::approve(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(production_error)?;
    call.redirect(&format!("/review/{id}?listing_approved=1#listing"));
    Ok(())
}

#[server(endpoint = "production/start_handoff")]
pub async fn start_handoff(id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    server::production::handoff::start(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(production_error)?;
    call.redirect(&format!("/review/{id}?handoff=1#handoff"));
    Ok(())
}

#[server(endpoint = "production/reissue_handoff")]
pub async fn reissue_handoff(id: String, confirm: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_reviewer().await?;
    if confirm.is_none() {
        let mut errors = BTreeMap::new();
        errors.insert(
            "confirm".to_string(),
            "Tick the box to confirm: the current production secret stops working at once."
                .to_string(),
        );
        return Err(AppError::Fields(errors));
    }
    server::production::handoff::reissue(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&id)?,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(production_error)?;
    call.redirect(&format!("/review/{id}?reissued=1#handoff"));
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStatusDto {
    /// `ready`, `wrong_account`, `used`, `expired`, `replaced` or `unknown`.
    pub status: String,
    pub message: String,
    pub app_name: String,
    pub expires: String,
}

#[server(endpoint = "production/handoff_status")]
pub async fn handoff_status(token: String) -> Result<LinkStatusDto, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    use server::production::handoff::{self, LinkStatus};
    let status = handoff::inspect(&call.state.db, &user, &token, call.now())
        .await
        .map_err(production_error)?;
    let message = handoff::refusal(&status);
    Ok(match status {
        LinkStatus::Ready {
            app_name,
            expires_at,
        } => LinkStatusDto {
            status: "ready".into(),
            message,
            app_name,
            expires: eastern(expires_at),
        },
        other => LinkStatusDto {
            status: match other {
                LinkStatus::WrongAccount { .. } => "wrong_account",
                LinkStatus::Used { .. } => "used",
                LinkStatus::Expired { .. } => "expired",
                LinkStatus::Replaced => "replaced",
                _ => "unknown",
            }
            .into(),
            message,
            app_name: String::new(),
            expires: String::new(),
        },
    })
}

#[server(endpoint = "production/reveal")]
pub async fn reveal_credentials(token: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let revealed = server::production::handoff::reveal(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        &token,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(production_error)?;
    // The secret travels to the next page in a short-lived HttpOnly cookie,
    // never in a URL, and is shown there once.
    super::apps::hand_over_secret(&call, &revealed.app_id.to_string(), &revealed.client_secret);
    call.redirect(&format!("/handoff/{token}?revealed=1"));
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedDto {
    pub app_id: String,
    pub app_name: String,
    pub client_id: String,
    pub client_secret: String,
    pub api_base_url: String,
}

/// The credentials revealed a moment ago through this link, once.
#[server(endpoint = "production/revealed")]
pub async fn take_revealed(token: String) -> Result<Option<RevealedDto>, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let Some(value) = call.cookie(super::apps::NEW_SECRET_COOKIE) else {
        return Ok(None);
    };
    let Some((for_app, secret)) = value.split_once('.') else {
        return Ok(None);
    };
    let Some((app_id, client_id, app_name)) =
        server::production::handoff::collected_by(&call.state.db, &user, &token)
            .await
            .map_err(production_error)?
    else {
        return Ok(None);
    };
    if for_app != app_id.to_string() {
        return Ok(None);
    }
    let clear = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        super::apps::NEW_SECRET_COOKIE
    );
    if let Ok(clear) = axum::http::HeaderValue::from_str(&clear) {
        call.append_header(axum::http::header::SET_COOKIE, clear);
    }
    Ok(Some(RevealedDto {
        app_id: app_id.to_string(),
        app_name,
        client_id,
        client_secret: secret.to_string(),
        api_base_url: server::apps::Environment::Production
            .base_url(&call.state.settings.public_url),
    }))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntryDto {
    pub id: String,
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub website_url: String,
    pub privacy_policy_url: String,
    pub support_email: String,
    pub support_url: String,
    pub categories: Vec<String>,
    pub platforms: Vec<String>,
    pub logo_url: Option<String>,
    pub data_source: String,
    pub live_since: Option<String>,
    /// The approved privacy policy and terms (label, link, date): each link
    /// names its version, so it changes when a new version is approved.
    pub documents: Vec<(String, String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryDto {
    pub entries: Vec<DirectoryEntryDto>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    /// For the category filter: key and label.
    pub category_options: Vec<(String, String)>,
}

#[cfg(feature = "ssr")]
fn entry_dto(e: server::production::directory::DirectoryEntry) -> DirectoryEntryDto {
    DirectoryEntryDto {
        id: e.id.to_string(),
        name: e.name,
        short_description: e.short_description,
        long_description: e.long_description,
        website_url: e.website_url,
        privacy_policy_url: e.privacy_policy_url,
        support_email: e.support_email,
        support_url: e.support_url,
        categories: e.categories.into_iter().map(str::to_string).collect(),
        platforms: e.platforms.into_iter().map(str::to_string).collect(),
        logo_url: e.logo_app_id.map(|a| format!("/app-logos/{a}")),
        data_source: server::production::directory::DATA_SOURCE.into(),
        live_since: e.live_since.map(|t| t.format("%B %Y").to_string()),
        documents: vec![],
    }
}

/// The public directory: no sign-in needed.
#[server(endpoint = "directory/search")]
pub async fn directory(
    q: Option<String>,
    category: Option<String>,
    page: Option<String>,
) -> Result<DirectoryDto, AppError> {
    let call = Call::capture();
    let page = page.and_then(|p| p.parse().ok()).unwrap_or(1);
    let found = server::production::directory::search(
        &call.state.db,
        q.as_deref().unwrap_or_default(),
        category.as_deref().filter(|c| !c.is_empty()),
        page,
    )
    .await
    .map_err(internal)?;
    Ok(DirectoryDto {
        entries: found.entries.into_iter().map(entry_dto).collect(),
        total: found.total,
        page: found.page,
        per_page: server::production::directory::PER_PAGE,
        category_options: options(server::production::listing::CATEGORIES),
    })
}

#[server(endpoint = "directory/entry")]
pub async fn directory_entry(id: String) -> Result<DirectoryEntryDto, AppError> {
    let call = Call::capture();
    let not_listed = || AppError::Message("This app is not in the directory.".into());
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_listed())?;
    let db = &call.state.db;
    let mut entry = server::production::directory::entry(db, id)
        .await
        .map_err(internal)?
        .map(entry_dto)
        .ok_or_else(not_listed)?;
    entry.documents = server::policy_changes::approved_documents(db, id)
        .await
        .map_err(internal)?
        .iter()
        .map(|d| {
            let dto = super::policy_changes::published_dto(id, d);
            (dto.kind_label, dto.href, super::format::date(d.uploaded_at))
        })
        .collect();
    Ok(entry)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDto {
    pub endpoint: String,
    pub calls: i64,
    pub errors: i64,
}

/// The last 30 days of an app's API calls, for its owner.
#[server(endpoint = "apps/usage")]
pub async fn app_usage(id: String) -> Result<Vec<UsageDto>, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let since = call.now() - chrono::Duration::days(30);
    let rows = server::apps::usage(&call.state.db, user.id, parse_id(&id)?, since)
        .await
        .map_err(super::apps::apps_error)?;
    Ok(rows
        .into_iter()
        .map(|r| UsageDto {
            endpoint: r.endpoint,
            calls: r.calls,
            errors: r.errors,
        })
        .collect())
}
