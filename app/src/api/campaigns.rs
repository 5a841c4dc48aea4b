//! Re-review campaigns: admins publish new terms and attestations with a
//! deadline; developers of live apps accept and re-attest. Roles and
//! ownership are checked on the server.
use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignAppDto {
    pub app_name: String,
    /// In words: re-attested (when), waiting, or suspended.
    pub status: String,
    /// Where a reviewer follows the app (and records its re-review demo).
    pub review_href: String,
    /// The re-review demo, for campaigns that ask for one.
    pub demo: Option<String>,
    /// `attested`, `waiting` or `suspended`.
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignDto {
    pub id: String,
    pub title: String,
    pub terms_version: String,
    pub deadline: String,
    pub enforced: bool,
    pub demo_required: bool,
    pub statements: usize,
    pub apps: Vec<CampaignAppDto>,
    /// Apps that will be suspended at the deadline unless they re-attest.
    pub affected_on_deadline: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignsDto {
    /// Live apps a new campaign would reach.
    pub live_apps: Vec<String>,
    pub campaigns: Vec<CampaignDto>,
    /// The privacy checklist, one statement per line, to start from.
    pub default_attestations: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReReviewDto {
    pub request_id: String,
    pub campaign_id: String,
    pub app_name: String,
    pub title: String,
    pub terms_version: String,
    pub terms_text: String,
    pub statements: Vec<String>,
    pub demo_required: bool,
    pub deadline: String,
    pub attested: Option<String>,
    pub suspended: bool,
}

/// A campaign waiting for one app, for its status page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReReviewDto {
    pub campaign_id: String,
    pub title: String,
    pub deadline: String,
    pub href: String,
}

#[cfg(feature = "ssr")]
fn campaign_error(error: server::campaigns::CampaignError) -> AppError {
    use server::campaigns::CampaignError as E;
    match error {
        E::Common(c) => super::ssr::common(c, "That re-review does not exist or is not yours."),
        E::Application(e) => super::access::access_error(e),
    }
}

#[cfg(feature = "ssr")]
use super::format::date_time as when;

#[cfg(feature = "ssr")]
fn ids(request_id: &str, campaign_id: &str) -> Result<(uuid::Uuid, uuid::Uuid), AppError> {
    let parse = |s: &str| uuid::Uuid::parse_str(s).ok();
    parse(request_id)
        .zip(parse(campaign_id))
        .ok_or_else(|| AppError::Message("That re-review does not exist or is not yours.".into()))
}

#[server(endpoint = "admin/campaigns")]
pub async fn campaigns() -> Result<CampaignsDto, AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let db = &call.state.db;
    let live = server::campaigns::live_apps(db).await.map_err(internal)?;
    let list = server::campaigns::list(db, &admin)
        .await
        .map_err(campaign_error)?;
    Ok(CampaignsDto {
        live_apps: live.into_iter().map(|(_, _, name)| name).collect(),
        default_attestations: server::applications::form::PRIVACY_CHECKLIST
            .iter()
            .map(|i| i.text)
            .collect::<Vec<_>>()
            .join("\n"),
        campaigns: list
            .into_iter()
            .map(|c| CampaignDto {
                id: c.id.to_string(),
                affected_on_deadline: c
                    .affected_on_deadline()
                    .iter()
                    .map(|a| a.app_name.clone())
                    .collect(),
                title: c.title,
                terms_version: c.terms_version,
                deadline: when(c.deadline),
                enforced: c.enforced_at.is_some(),
                demo_required: c.demo_required,
                statements: c.attestations.len(),
                apps: c
                    .apps
                    .into_iter()
                    .map(|a| {
                        let demo = c.demo_required.then(|| match a.demo_passed_at {
                            Some(at) => format!("Passed {}", when(at)),
                            None => "Not held yet".to_string(),
                        });
                        let (state, status) = match (a.attested_at, a.suspended) {
                            (Some(at), _) => ("attested", format!("Re-attested {}", when(at))),
                            (None, true) => ("suspended", "Suspended: missed the deadline".into()),
                            (None, false) => ("waiting", "Waiting for the developer".into()),
                        };
                        CampaignAppDto {
                            app_name: a.app_name,
                            review_href: format!("/review/{}#demo", a.request_id),
                            demo,
                            status,
                            state: state.into(),
                        }
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// The deadline: the end (23:59) of the chosen day, Eastern time.
#[cfg(feature = "ssr")]
fn deadline_of(day: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| server::validation::is_plausible_date(*d))?;
    Some(server::calendar::eastern_to_utc(
        date.and_hms_opt(23, 59, 0)?,
    ))
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "admin/campaigns/start")]
pub async fn start_campaign(
    title: String,
    terms_version: String,
    terms_text: String,
    attestations: String,
    deadline: String,
    demo_required: Option<String>,
    confirm: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let kept = [
        ("title", title.as_str()),
        ("terms_version", terms_version.as_str()),
        ("terms_text", terms_text.as_str()),
        ("attestations", attestations.as_str()),
        ("deadline", deadline.as_str()),
        (
            "demo_required",
            demo_required.as_deref().unwrap_or_default(),
        ),
    ];
    let Some(deadline_at) = deadline_of(&deadline) else {
        let mut errors = BTreeMap::new();
        errors.insert(
            "deadline".to_string(),
            "Choose the deadline day.".to_string(),
        );
        return Err(AppError::Fields(errors).keeping(&kept));
    };
    if confirm.is_none() {
        let mut errors = BTreeMap::new();
        errors.insert(
            "confirm".to_string(),
            "Tick the box to confirm: every live app listed is asked to re-attest, and suspended if it has not by the deadline.".to_string(),
        );
        return Err(AppError::Fields(errors).keeping(&kept));
    }
    server::campaigns::start(
        &call.state.db,
        &call.audit_as(&admin),
        &admin,
        server::campaigns::NewCampaign {
            title: title.clone(),
            terms_version: terms_version.clone(),
            terms_text: terms_text.clone(),
            attestations: attestations.lines().map(str::to_string).collect(),
            demo_required: demo_required.is_some(),
            deadline: deadline_at,
        },
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| campaign_error(e).keeping(&kept))?;
    call.redirect("/admin/campaigns?started=1");
    Ok(())
}

#[server(endpoint = "campaigns/pending")]
pub async fn pending_re_reviews(request_id: String) -> Result<Vec<PendingReReviewDto>, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let Ok(id) = uuid::Uuid::parse_str(&request_id) else {
        return Ok(vec![]);
    };
    let pending = server::campaigns::pending_for(&call.state.db, &user, id)
        .await
        .map_err(campaign_error)?;
    Ok(pending
        .into_iter()
        .map(|c| PendingReReviewDto {
            href: format!("/access/{id}/re-review/{}", c.id),
            campaign_id: c.id.to_string(),
            title: c.title,
            deadline: when(c.deadline),
        })
        .collect())
}

#[server(endpoint = "campaigns/re-review")]
pub async fn re_review(request_id: String, campaign_id: String) -> Result<ReReviewDto, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let (request, campaign) = ids(&request_id, &campaign_id)?;
    let (c, row) = server::campaigns::for_app(&call.state.db, &user, campaign, request)
        .await
        .map_err(campaign_error)?;
    Ok(ReReviewDto {
        request_id,
        campaign_id,
        app_name: row.app_name,
        title: c.title,
        terms_version: c.terms_version,
        terms_text: c.terms_text,
        statements: c.attestations,
        demo_required: c.demo_required,
        deadline: when(c.deadline),
        attested: row.attested_at.map(when),
        suspended: row.suspended,
    })
}

#[server(endpoint = "campaigns/attest")]
pub async fn attest_campaign(
    request_id: String,
    campaign_id: String,
    accept_terms: Option<String>,
    #[server(default)] attest: BTreeMap<String, String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let (request, campaign) = ids(&request_id, &campaign_id)?;
    let attested: Vec<usize> = attest.keys().filter_map(|k| k.parse().ok()).collect();
    // The ticks come back with a refusal, so fixing one box keeps the others.
    let ticked: Vec<(String, &str)> = accept_terms
        .iter()
        .map(|_| ("accept_terms".to_string(), "yes"))
        .chain(attested.iter().map(|i| (format!("attest[{i}]"), "yes")))
        .collect();
    let kept: Vec<(&str, &str)> = ticked.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    server::campaigns::attest(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        campaign,
        request,
        accept_terms.is_some(),
        &attested,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| campaign_error(e).keeping(&kept))?;
    call.redirect(&format!(
        "/access/{request}/re-review/{campaign}?attested=1"
    ));
    Ok(())
}
