//! The post-approval form: how an approved app appears in the connected-apps
//! directory. The applicant saves drafts and submits; a reviewer marks each
//! part "pass" or "needs change" with a comment (the comment is what the
//! applicant is told), then approves the listing or sends it back.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;
use validator::Validate;

use super::ProductionError;
use crate::{
    accounts::CurrentUser,
    applications::{self, AccessState, Transition},
    audit::{self, AuditContext, AuditRecord},
    entities::{access_request, app_listing, application, review_evaluation},
    errors::Common,
    notifications::{Item, Notice, Notifier},
    review::{Evaluation, Verdict},
    validation::FieldErrors,
};

/// Directory categories: key and label.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("personal_health_record", "Personal health record"),
    ("care_management", "Care management"),
    ("prescriptions", "Prescription management"),
    ("costs_and_claims", "Costs and claims"),
    ("caregivers", "Caregiver tools"),
    ("research", "Research"),
];

pub const PLATFORMS: &[(&str, &str)] = &[("web", "Web"), ("ios", "iOS"), ("android", "Android")];

/// What a reviewer checks in a listing, in order. Keys live beside the
/// application checklist's in `review_evaluations`, under `listing.`.
pub const REVIEW_ITEMS: &[(&str, &str)] = &[
    ("listing.name", "Name"),
    ("listing.descriptions", "Short and long description"),
    ("listing.logo", "Logo"),
    ("listing.website_url", "Website"),
    ("listing.categories", "Categories and platforms"),
    ("listing.privacy_policy_url", "Privacy policy address"),
    ("listing.support", "Support contact"),
];

pub fn label_of(list: &[(&'static str, &'static str)], key: &str) -> &'static str {
    list.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// The post-approval form as submitted.
#[derive(Clone, Debug, Default, Validate)]
pub struct ListingForm {
    #[validate(length(
        min = 1,
        max = 80,
        message = "Enter the name enrollees will see, up to 80 characters."
    ))]
    pub name: String,
    #[validate(length(
        min = 1,
        max = 200,
        message = "Enter a one-line description of up to 200 characters."
    ))]
    pub short_description: String,
    #[validate(length(
        min = 1,
        max = 4000,
        message = "Describe the app for enrollees in up to 4,000 characters."
    ))]
    pub long_description: String,
    #[validate(url(message = "Enter the full address, like https://example.com."))]
    pub website_url: String,
    #[validate(url(message = "Enter the full address of your privacy policy."))]
    pub privacy_policy_url: String,
    #[validate(email(message = "Enter the email address enrollees can write to for support."))]
    pub support_email: String,
    /// Optional: a help page.
    pub support_url: String,
    pub categories: Vec<String>,
    pub platforms: Vec<String>,
    /// The revision the form was loaded at: a save from a stale tab is refused.
    pub revision: i32,
}

/// One part of the listing as the reviewer judged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingVerdict {
    pub key: &'static str,
    pub label: &'static str,
    pub verdict: Option<Verdict>,
    pub comment: String,
}

/// A listing for its applicant or a reviewer. Before the first save it holds
/// values taken from the application and the sandbox app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingView {
    pub request_id: Uuid,
    /// The applicant: the only one who may change the listing.
    pub owner_id: Uuid,
    /// The sandbox app: its logo is the listing's logo.
    pub app_id: Uuid,
    pub has_logo: bool,
    pub state: AccessState,
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
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub verdicts: Vec<ListingVerdict>,
}

/// Where the directory listing and the handoff stand, from the application's
/// state and the listing's own submitted and approved times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListingStage {
    /// Approved; the applicant has not submitted the post-approval form yet.
    ToFill,
    /// A reviewer sent the listing back to the applicant.
    ChangesRequested,
    /// Submitted, waiting for a reviewer.
    UnderReview,
    /// Approved and in the directory; the credential handoff comes next.
    Approved,
    /// The point of contact was sent the single-use handoff link.
    CredentialsSent,
    /// The app is in production (live or suspended).
    InProduction,
}

impl ListingView {
    pub fn stage(&self) -> ListingStage {
        match self.state {
            AccessState::Approved if self.submitted_at.is_some() => ListingStage::ChangesRequested,
            AccessState::Approved => ListingStage::ToFill,
            AccessState::PostApprovalSubmitted if self.approved_at.is_some() => {
                ListingStage::Approved
            }
            AccessState::PostApprovalSubmitted => ListingStage::UnderReview,
            AccessState::CredentialsIssued => ListingStage::CredentialsSent,
            _ => ListingStage::InProduction,
        }
    }

    /// The applicant may change the listing while it waits on them.
    pub fn editable(&self) -> bool {
        self.state == AccessState::Approved
    }

    /// A reviewer may judge it while it is submitted and not yet approved.
    pub fn reviewable(&self) -> bool {
        self.state == AccessState::PostApprovalSubmitted && self.approved_at.is_none()
    }
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// States in which a listing exists (approval onwards).
fn has_listing(state: AccessState) -> bool {
    matches!(
        state,
        AccessState::Approved
            | AccessState::PostApprovalSubmitted
            | AccessState::CredentialsIssued
            | AccessState::Live
            | AccessState::Suspended
    )
}

/// The listing of application `id`, for its applicant or a reviewer.
pub async fn get(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<ListingView, ProductionError> {
    let request = applications::find(db, id).await?;
    if !applications::may_read(&request, viewer) {
        return Err(ProductionError::Common(Common::NotFound));
    }
    view(db, &request).await
}

pub(crate) async fn view(
    db: &impl ConnectionTrait,
    request: &access_request::Model,
) -> Result<ListingView, ProductionError> {
    let state = applications::state_of(request)?;
    if !has_listing(state) {
        return Err(ProductionError::Refused(
            "The directory listing comes after your application is approved.".into(),
        ));
    }
    let app = application::Entity::find_by_id(request.application_id)
        .one(db)
        .await?
        .ok_or(ProductionError::Common(Common::NotFound))?;
    let has_logo = crate::entities::application_logo::Entity::find_by_id(app.id)
        .one(db)
        .await?
        .is_some();
    let stored = app_listing::Entity::find_by_id(request.id).one(db).await?;
    let evaluations = review_evaluation::Entity::find()
        .filter(review_evaluation::Column::RequestId.eq(request.id))
        .filter(review_evaluation::Column::ItemKey.starts_with("listing."))
        .all(db)
        .await?;
    let verdicts = REVIEW_ITEMS
        .iter()
        .map(|(key, label)| {
            let found = evaluations.iter().find(|e| e.item_key == *key);
            ListingVerdict {
                key,
                label,
                verdict: found.and_then(|e| Verdict::parse(&e.status)),
                comment: found.map(|e| e.comment.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let base = ListingView {
        request_id: request.id,
        owner_id: request.owner_id,
        app_id: app.id,
        has_logo,
        state,
        name: String::new(),
        short_description: String::new(),
        long_description: String::new(),
        website_url: String::new(),
        privacy_policy_url: String::new(),
        support_email: String::new(),
        support_url: String::new(),
        categories: vec![],
        platforms: vec![],
        revision: 0,
        submitted_at: None,
        approved_at: request.listing_approved_at,
        verdicts,
    };
    Ok(match stored {
        Some(l) => ListingView {
            name: l.name,
            short_description: l.short_description,
            long_description: l.long_description,
            website_url: l.website_url,
            privacy_policy_url: l.privacy_policy_url,
            support_email: l.support_email,
            support_url: l.support_url,
            categories: split(&l.categories),
            platforms: split(&l.platforms),
            revision: l.revision,
            submitted_at: l.submitted_at,
            ..base
        },
        None => {
            let snapshot = crate::applications::snapshot::latest_snapshot(db, request.id).await?;
            let answer = |section: &str, field: &str| {
                snapshot
                    .as_ref()
                    .map(|s| s.answer(section, field).to_string())
                    .unwrap_or_default()
            };
            ListingView {
                name: answer("application", "app_name"),
                long_description: answer("application", "app_description"),
                website_url: app.website_url,
                privacy_policy_url: app.privacy_policy_url,
                support_email: app.support_email,
                ..base
            }
        }
    })
}

fn check(form: &ListingForm) -> FieldErrors {
    let mut errors: FieldErrors = form.validate().err().map(Into::into).unwrap_or_default();
    for (field, value) in [
        ("website_url", &form.website_url),
        ("privacy_policy_url", &form.privacy_policy_url),
        ("support_url", &form.support_url),
    ] {
        let value = value.trim();
        if field == "support_url" && value.is_empty() {
            continue;
        }
        if errors.get(field).is_none() && !crate::validation::is_https_link(value) {
            errors.add(
                field,
                "Use an https:// address: enrollees follow it from a federal site.",
            );
        }
    }
    for (field, text) in [
        ("name", &form.name),
        ("short_description", &form.short_description),
        ("long_description", &form.long_description),
    ] {
        if text.contains('<') || text.contains('>') {
            errors.add(field, "Use plain text: no < or >.");
        }
    }
    if form.categories.is_empty() {
        errors.add("categories", "Choose at least one category.");
    } else if form
        .categories
        .iter()
        .any(|c| label_of(CATEGORIES, c).is_empty())
    {
        errors.add("categories", "Choose categories from the list.");
    }
    if form.platforms.is_empty() {
        errors.add("platforms", "Choose at least one platform.");
    } else if form
        .platforms
        .iter()
        .any(|p| label_of(PLATFORMS, p).is_empty())
    {
        errors.add("platforms", "Choose platforms from the list.");
    }
    errors
}

/// In list order, each once.
fn normalized(chosen: &[String], list: &[(&str, &str)]) -> String {
    list.iter()
        .filter(|(k, _)| chosen.iter().any(|c| c == k))
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(",")
}

/// Saves the listing and, with `submit`, sends it to the reviewers.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: &CurrentUser,
    id: Uuid,
    form: ListingForm,
    submit: bool,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ProductionError> {
    check(&form).into_result()?;
    let txn = crate::db::begin_write(db).await?;
    let request = applications::find(&txn, id).await?;
    if request.owner_id != owner.id.0 {
        return Err(ProductionError::Common(Common::NotFound));
    }
    let state = applications::state_of(&request)?;
    if state != AccessState::Approved {
        return Err(ProductionError::Refused(format!(
            "The listing cannot be changed now: the application is {}.",
            state.label().to_lowercase()
        )));
    }
    let existing = app_listing::Entity::find_by_id(id).one(&txn).await?;
    let stored_revision = existing.as_ref().map_or(0, |l| l.revision);
    if stored_revision != form.revision {
        return Err(ProductionError::Refused(
            "The listing was saved in another tab or window since you opened it. Reload the page to see that version; your changes here were not saved.".into(),
        ));
    }
    let row = app_listing::ActiveModel {
        request_id: Set(id),
        name: Set(form.name.trim().into()),
        short_description: Set(form.short_description.trim().into()),
        long_description: Set(form.long_description.trim().into()),
        website_url: Set(form.website_url.trim().into()),
        privacy_policy_url: Set(form.privacy_policy_url.trim().into()),
        support_email: Set(form.support_email.trim().into()),
        support_url: Set(form.support_url.trim().into()),
        categories: Set(normalized(&form.categories, CATEGORIES)),
        platforms: Set(normalized(&form.platforms, PLATFORMS)),
        revision: Set(stored_revision + 1),
        submitted_at: Set(if submit {
            Some(now)
        } else {
            existing.as_ref().and_then(|l| l.submitted_at)
        }),
        updated_at: Set(now),
    };
    let saved = if existing.is_some() {
        // Conditional on the revision, so two simultaneous saves cannot both win.
        let updated = app_listing::Entity::update_many()
            .set(row.clone())
            .filter(app_listing::Column::RequestId.eq(id))
            .filter(app_listing::Column::Revision.eq(stored_revision))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(ProductionError::Refused(
                "The listing was saved in another tab or window at the same moment. Reload the page.".into(),
            ));
        }
        row
    } else {
        row.clone().insert(&txn).await?;
        row
    };
    let snapshot = serde_json::json!({
        "name": saved.name.as_ref(), "short_description": saved.short_description.as_ref(),
        "website_url": saved.website_url.as_ref(), "privacy_policy_url": saved.privacy_policy_url.as_ref(),
        "support_email": saved.support_email.as_ref(), "categories": saved.categories.as_ref(),
        "platforms": saved.platforms.as_ref(), "revision": stored_revision + 1,
    });
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new(
            if submit {
                "listing.submitted"
            } else {
                "listing.saved"
            },
            "access_request",
            id,
        )
        .after(snapshot),
    )
    .await?;
    if submit {
        move_by(&txn, id, state, Transition::SubmitPostApproval, now).await?;
        applications::event(
            &txn,
            id,
            Some(owner.id),
            "listing_submitted",
            "Post-approval form (directory listing) submitted for review.".into(),
            now,
        )
        .await?;
        let name = crate::applications::snapshot::app_name(&txn, &request).await?;
        let (application, app) = (&request, name.as_str());
        notifier
            .send(&txn, Notice::ListingToReview { application, app }, now)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Moves the application from `from` by `transition`, only if it is still
/// in `from`, and returns where it is now.
pub(crate) async fn move_by(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: AccessState,
    transition: Transition,
    now: DateTime<Utc>,
) -> Result<AccessState, ProductionError> {
    applications::transition(db, id, from, transition, now, |u| u)
        .await
        .map_err(ProductionError::from)
}

/// Application `id` and its listing, if the listing is waiting for a reviewer.
async fn awaiting_review(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<(access_request::Model, ListingView), ProductionError> {
    let request = applications::find(db, id).await?;
    let listing = view(db, &request).await?;
    if !listing.reviewable() {
        return Err(ProductionError::Refused(
            "The listing is not waiting for review.".into(),
        ));
    }
    Ok((request, listing))
}

/// Records the reviewer's verdicts on parts of the listing.
pub async fn evaluate(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    evaluations: &[Evaluation],
    now: DateTime<Utc>,
) -> Result<(), ProductionError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let mut errors = FieldErrors::new();
    let mut valid = Vec::new();
    for e in evaluations {
        let Some((key, _)) = REVIEW_ITEMS.iter().find(|(k, _)| *k == e.item) else {
            continue;
        };
        let comment = e.comment.trim().to_string();
        let field = format!("comment.{key}");
        if comment.chars().count() > 4000 {
            errors.add(&field, "Keep the comment to 4,000 characters.");
        }
        match e.verdict {
            Some(Verdict::NeedsChange) if comment.is_empty() => errors.add(
                &field,
                "Say what needs to change: the applicant sees this comment.",
            ),
            Some(Verdict::NotApplicable) => errors.add(
                &field,
                "Every part of a listing is either right or needs change.",
            ),
            Some(verdict) => valid.push((*key, verdict, comment)),
            None => {}
        }
    }
    errors.into_result()?;
    let txn = crate::db::begin_write(db).await?;
    awaiting_review(&txn, id).await?;
    let mut changed = Vec::new();
    for (key, verdict, comment) in valid {
        review_evaluation::Entity::delete_by_id((id, key.to_string()))
            .exec(&txn)
            .await?;
        review_evaluation::ActiveModel {
            request_id: Set(id),
            item_key: Set(key.into()),
            status: Set(verdict.as_str().into()),
            comment: Set(comment.clone()),
            reviewer_id: Set(reviewer.id.0),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        changed.push(
            serde_json::json!({ "item": key, "verdict": verdict.as_str(), "comment": comment }),
        );
    }
    if !changed.is_empty() {
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("listing.evaluated", "access_request", id).after(changed),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Sends the listing back with the parts that need change and their comments.
pub async fn request_changes(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ProductionError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let (request, listing) = awaiting_review(&txn, id).await?;
    let needing: Vec<&ListingVerdict> = listing
        .verdicts
        .iter()
        .filter(|v| v.verdict == Some(Verdict::NeedsChange))
        .collect();
    if needing.is_empty() {
        return Err(ProductionError::Refused(
            "Mark at least one part “needs change”, with a comment, before requesting changes."
                .into(),
        ));
    }
    let next = move_by(&txn, id, listing.state, Transition::ReturnListing, now).await?;
    let items: Vec<String> = needing
        .iter()
        .map(|v| format!("{}: {}", v.label, v.comment))
        .collect();
    applications::event(
        &txn,
        id,
        Some(reviewer.id),
        "listing_changes_requested",
        format!(
            "Changes requested to the directory listing: {}",
            items.join("; ")
        ),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("listing.changes_requested", "access_request", id)
            .before(serde_json::json!({ "state": listing.state.as_str() }))
            .after(serde_json::json!({ "state": next.as_str(), "items": items })),
    )
    .await?;
    let name = crate::applications::snapshot::app_name(&txn, &request).await?;
    let items = needing
        .iter()
        .map(|v| Item {
            text: v.label.to_string(),
            comment: v.comment.clone(),
        })
        .collect();
    let (application, app) = (&request, name.as_str());
    notifier
        .send(
            &txn,
            Notice::ListingChangesRequested {
                application,
                app,
                items,
            },
            now,
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Approves the listing: every part must pass. The app then appears in the
/// directory, and the reviewer can hand over the production credentials.
pub async fn approve(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    reviewer: &CurrentUser,
    id: Uuid,
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<(), ProductionError> {
    crate::review::independence::require_reviewer_for(db, reviewer, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let (request, listing) = awaiting_review(&txn, id).await?;
    let open: Vec<&str> = listing
        .verdicts
        .iter()
        .filter(|v| v.verdict != Some(Verdict::Pass))
        .map(|v| v.label)
        .collect();
    if !open.is_empty() {
        return Err(ProductionError::Refused(format!(
            "Every part of the listing must pass before approval. Still open: {}.",
            open.join(", ")
        )));
    }
    let approved = access_request::Entity::update_many()
        .col_expr(access_request::Column::ListingApprovedAt, Expr::value(now))
        .col_expr(access_request::Column::UpdatedAt, Expr::value(now))
        .filter(access_request::Column::Id.eq(id))
        .filter(access_request::Column::ListingApprovedAt.is_null())
        .exec(&txn)
        .await?;
    if approved.rows_affected != 1 {
        return Err(ProductionError::Refused(
            "The listing is already approved.".into(),
        ));
    }
    applications::event(
        &txn,
        id,
        Some(reviewer.id),
        "listing_approved",
        "Directory listing approved. Production credentials come next.".into(),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("listing.approved", "access_request", id)
            .after(serde_json::json!({ "listing_revision": listing.revision })),
    )
    .await?;
    let name = crate::applications::snapshot::app_name(&txn, &request).await?;
    let (application, app) = (&request, name.as_str());
    let listed_as = listing.name.as_str();
    notifier
        .send(
            &txn,
            Notice::ListingApproved {
                application,
                app,
                listed_as,
            },
            now,
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_in(state: AccessState, submitted: bool, approved: bool) -> ListingView {
        let at: DateTime<Utc> = "2031-03-04T15:00:00Z".parse().unwrap();
        ListingView {
            request_id: Uuid::nil(),
            owner_id: Uuid::nil(),
            app_id: Uuid::nil(),
            has_logo: false,
            state,
            name: String::new(),
            short_description: String::new(),
            long_description: String::new(),
            website_url: String::new(),
            privacy_policy_url: String::new(),
            support_email: String::new(),
            support_url: String::new(),
            categories: vec![],
            platforms: vec![],
            revision: 1,
            submitted_at: submitted.then_some(at),
            approved_at: approved.then_some(at),
            verdicts: vec![],
        }
    }

    #[test]
    fn the_stage_tells_a_listing_sent_back_from_one_never_filled_and_an_approved_one_from_one_in_review(
    ) {
        use AccessState as S;
        use ListingStage as L;
        for (state, submitted, approved, stage) in [
            (S::Approved, false, false, L::ToFill),
            (S::Approved, true, false, L::ChangesRequested),
            (S::PostApprovalSubmitted, true, false, L::UnderReview),
            (S::PostApprovalSubmitted, true, true, L::Approved),
            (S::CredentialsIssued, true, true, L::CredentialsSent),
            (S::Live, true, true, L::InProduction),
            (S::Suspended, true, true, L::InProduction),
        ] {
            let view = view_in(state, submitted, approved);
            assert_eq!(view.stage(), stage, "{state:?} {submitted} {approved}");
            assert_eq!(
                view.editable(),
                matches!(stage, L::ToFill | L::ChangesRequested)
            );
            assert_eq!(view.reviewable(), stage == L::UnderReview);
        }
    }

    fn complete() -> ListingForm {
        ListingForm {
            name: "Claims Tracker".into(),
            short_description: "Your Medicare claims in one place.".into(),
            long_description: "See every claim.".into(),
            website_url: "https://tracker.example".into(),
            privacy_policy_url: "https://tracker.example/privacy".into(),
            support_email: "help@tracker.example".into(),
            support_url: String::new(),
            categories: vec!["costs_and_claims".into()],
            platforms: vec!["web".into(), "ios".into()],
            revision: 0,
        }
    }

    #[test]
    fn a_complete_listing_passes_and_each_gap_is_named() {
        assert!(check(&complete()).is_empty());
        let mut form = complete();
        form.website_url = "http://tracker.example".into();
        form.categories = vec!["games".into()];
        form.platforms.clear();
        form.short_description = "<b>bold</b>".into();
        let errors = check(&form);
        for field in [
            "website_url",
            "categories",
            "platforms",
            "short_description",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(errors.get("name").is_none());
    }

    #[test]
    fn choices_are_stored_in_list_order_once() {
        let chosen = vec!["ios".to_string(), "web".into(), "ios".into()];
        assert_eq!(normalized(&chosen, PLATFORMS), "web,ios");
    }
}
