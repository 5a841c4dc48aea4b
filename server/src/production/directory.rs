//! The public connected-apps directory: apps whose listing a reviewer
//! approved, while their access is not suspended. The data source is always
//! named "Medicare", as the production-access guide requires.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::listing::{label_of, CATEGORIES, PLATFORMS};
use crate::{
    applications::AccessState,
    entities::{access_request, app_listing, application, application_logo},
};

pub const DATA_SOURCE: &str = "Medicare";
pub const PER_PAGE: u64 = 12;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The application's id: stable from listing approval on.
    pub id: Uuid,
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub website_url: String,
    pub privacy_policy_url: String,
    pub support_email: String,
    pub support_url: String,
    /// Labels, in list order.
    pub categories: Vec<&'static str>,
    pub platforms: Vec<&'static str>,
    /// The app whose logo is shown, if it has one.
    pub logo_app_id: Option<Uuid>,
    pub live_since: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryPage {
    pub entries: Vec<DirectoryEntry>,
    pub total: u64,
    pub page: u64,
}

const LISTED: [AccessState; 3] = [
    AccessState::PostApprovalSubmitted,
    AccessState::CredentialsIssued,
    AccessState::Live,
];

async fn listed(db: &DatabaseConnection) -> Result<Vec<DirectoryEntry>, DbErr> {
    let requests = access_request::Entity::find()
        .filter(access_request::Column::ListingApprovedAt.is_not_null())
        .filter(access_request::Column::State.is_in(LISTED.map(AccessState::as_str)))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = requests.iter().map(|r| r.id).collect();
    let listings = app_listing::Entity::find()
        .filter(app_listing::Column::RequestId.is_in(ids))
        .all(db)
        .await?;
    let app_ids: Vec<Uuid> = requests.iter().map(|r| r.application_id).collect();
    let logos: Vec<Uuid> = application_logo::Entity::find()
        .filter(application_logo::Column::ApplicationId.is_in(app_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.application_id)
        .collect();
    let prod_ids: Vec<Uuid> = requests
        .iter()
        .filter_map(|r| r.production_app_id)
        .collect();
    let prod_apps = application::Entity::find()
        .filter(application::Column::Id.is_in(prod_ids))
        .all(db)
        .await?;
    let mut entries: Vec<DirectoryEntry> = listings
        .into_iter()
        .filter_map(|l| {
            let request = requests.iter().find(|r| r.id == l.request_id)?;
            let labels = |list: &str, from: &[(&'static str, &'static str)]| {
                list.split(',')
                    .map(|k| label_of(from, k))
                    .filter(|l| !l.is_empty())
                    .collect()
            };
            Some(DirectoryEntry {
                id: l.request_id,
                categories: labels(&l.categories, CATEGORIES),
                platforms: labels(&l.platforms, PLATFORMS),
                logo_app_id: logos
                    .contains(&request.application_id)
                    .then_some(request.application_id),
                live_since: request
                    .production_app_id
                    .and_then(|p| prod_apps.iter().find(|a| a.id == p))
                    .and_then(|a| a.live_at),
                name: l.name,
                short_description: l.short_description,
                long_description: l.long_description,
                website_url: l.website_url,
                privacy_policy_url: l.privacy_policy_url,
                support_email: l.support_email,
                support_url: l.support_url,
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(entries)
}

/// Listed apps matching `query` (name or descriptions, any case) and, if
/// given, the category key; `page` counts from 1.
pub async fn search(
    db: &DatabaseConnection,
    query: &str,
    category: Option<&str>,
    page: u64,
) -> Result<DirectoryPage, DbErr> {
    let needle = query.trim().to_lowercase();
    let category = category
        .map(|c| label_of(CATEGORIES, c))
        .filter(|l| !l.is_empty());
    let matching: Vec<DirectoryEntry> = listed(db)
        .await?
        .into_iter()
        .filter(|e| {
            needle.is_empty()
                || [&e.name, &e.short_description, &e.long_description]
                    .iter()
                    .any(|t| t.to_lowercase().contains(&needle))
        })
        .filter(|e| category.is_none_or(|c| e.categories.contains(&c)))
        .collect();
    let total = matching.len() as u64;
    let last = total.div_ceil(PER_PAGE).max(1);
    let page = page.clamp(1, last);
    Ok(DirectoryPage {
        entries: matching
            .into_iter()
            .skip(((page - 1) * PER_PAGE) as usize)
            .take(PER_PAGE as usize)
            .collect(),
        total,
        page,
    })
}

/// One listed app, or `None` if it is not (or no longer) listed.
pub async fn entry(db: &DatabaseConnection, id: Uuid) -> Result<Option<DirectoryEntry>, DbErr> {
    Ok(listed(db).await?.into_iter().find(|e| e.id == id))
}
