//! Production-access applications: a developer turns a sandbox app into an
//! application (answers saved per section, policy PDFs uploaded and
//! analysed), submits it as an immutable version, and follows its timeline.
//! Only the applicant may change an application; the applicant and reviewers
//! may read it; everyone else is told it does not exist.
pub mod analysis;
pub mod documents;
pub mod form;
pub mod http;
pub mod snapshot;
pub mod state;
mod submission;
pub mod summary;
pub mod transition;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use analysis::Analysis;
pub use documents::policy_pdf::{DocumentError, DocumentKind};
pub use documents::DocumentView;
pub(crate) use documents::{display_filename, store_pdf, submitted_documents, DocumentRow};
pub use form::{Answers, Missing};
pub use snapshot::{diff, Attestation, Change, Snapshot};
pub use state::{AccessState, IllegalTransition, Transition, WaitingOn};
pub use submission::submit;
pub use transition::{transition, update_in_state, TransitionError};

use crate::{
    accounts::CurrentUser,
    apps::{Environment, RedirectUri},
    audit::{self, AuditContext, AuditRecord},
    blobs::BlobStore,
    entities::{
        access_document, access_request, access_request_event, access_request_section,
        access_request_version, api_access, application, data_access_grant,
    },
    errors::Common,
    ids::AccountId,
    mail,
    notifications::{Notice, Notifier},
    validation::FieldErrors,
};

/// The guide promises a response within 24 business hours.
pub const FIRST_RESPONSE_HOURS: u32 = 24;

#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    /// Refusals and failures every feature has; see [`crate::errors`].
    #[error(transparent)]
    Common(Common),
    #[error("confirm your email address first")]
    Unverified,
    #[error("the application is {0} and cannot be changed now")]
    NotEditable(AccessState),
    #[error("the section was saved elsewhere at {updated_at}")]
    Conflict { updated_at: DateTime<Utc> },
    #[error("the application is not complete")]
    Incomplete(Vec<Missing>),
    #[error("this version was already submitted")]
    AlreadySubmitted,
    #[error("{0}")]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error("file storage failed: {0}")]
    Storage(#[from] std::io::Error),
}

crate::wraps_common!(ApplicationError);

/// A section's saved answers and the revision a save must name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionAnswers {
    pub key: String,
    pub answers: Answers,
    /// 0 when never saved.
    pub revision: i32,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Everything about one application that its pages show.
#[derive(Clone, Debug)]
pub struct AccessRequestView {
    pub id: Uuid,
    pub application_id: Uuid,
    pub app_name: String,
    pub owner_id: Uuid,
    pub state: AccessState,
    pub current_version: i32,
    pub sections: Vec<SectionAnswers>,
    /// The latest upload of each kind.
    pub documents: Vec<DocumentView>,
    /// What stands between the application and a submission.
    pub missing: Vec<Missing>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

impl AccessRequestView {
    pub fn section(&self, key: &str) -> Option<&SectionAnswers> {
        self.sections.iter().find(|s| s.key == key)
    }

    pub fn document(&self, kind: DocumentKind) -> Option<&DocumentView> {
        self.documents.iter().find(|d| d.kind == kind.as_str())
    }
}

/// One line of an application's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: String,
}

/// An application in a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRequestSummary {
    pub id: Uuid,
    pub application_id: Uuid,
    pub app_name: String,
    pub state: AccessState,
    pub current_version: i32,
    pub updated_at: DateTime<Utc>,
}

/// One thing the sandbox proves (or not yet) before an application starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessItem {
    pub label: String,
    pub met: bool,
    pub explanation: String,
}

/// A document as recorded in a submitted version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    pub id: Uuid,
    pub kind: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub page_count: i32,
}

pub(crate) fn may_read(request: &access_request::Model, viewer: &CurrentUser) -> bool {
    request.owner_id == viewer.id.0 || viewer.role.can_review()
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<access_request::Model, ApplicationError> {
    access_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApplicationError::Common(Common::NotFound))
}

/// The application, if `owner` owns it; anyone else gets `NotFound`.
async fn owned(
    db: &impl ConnectionTrait,
    owner: AccountId,
    id: Uuid,
) -> Result<access_request::Model, ApplicationError> {
    let request = find(db, id).await?;
    if request.owner_id == owner.0 {
        Ok(request)
    } else {
        Err(ApplicationError::Common(Common::NotFound))
    }
}

/// The stored state, parsed strictly: a value this code does not know (a
/// newer version's, or a damaged row) is an error, never `Draft`, the one
/// state in which the applicant may edit (issue 20).
pub(crate) fn state_of(request: &access_request::Model) -> Result<AccessState, DbErr> {
    AccessState::parse(&request.state).ok_or_else(|| {
        DbErr::Custom(format!(
            "access request {} has a state this version does not know: {:?}",
            request.id, request.state
        ))
    })
}

pub(crate) async fn event(
    db: &impl ConnectionTrait,
    request: Uuid,
    actor: Option<AccountId>,
    kind: &str,
    detail: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    access_request_event::ActiveModel {
        request_id: Set(request),
        occurred_at: Set(now),
        actor_id: Set(actor.map(|a| a.0)),
        kind: Set(kind.into()),
        detail: Set(detail),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What the sandbox already proves about `app`, and what is still missing.
pub async fn readiness(
    db: &DatabaseConnection,
    owner: AccountId,
    app: Uuid,
) -> Result<Vec<ReadinessItem>, ApplicationError> {
    let app = crate::apps::owned(db, owner, app)
        .await
        .map_err(|e| match e {
            crate::apps::AppsError::Common(Common::Db(e)) => ApplicationError::from(e),
            _ => ApplicationError::Common(Common::NotFound),
        })?;
    let grants = data_access_grant::Entity::find()
        .filter(data_access_grant::Column::ApplicationId.eq(app.id))
        .count(db)
        .await?;
    let successful_calls = api_access::Entity::find()
        .filter(api_access::Column::ApplicationId.eq(app.id))
        .filter(api_access::Column::Status.eq(200))
        .filter(api_access::Column::Resource.is_in(["Patient", "Coverage", "ExplanationOfBenefit"]))
        .count(db)
        .await?;
    let (production_ready, http_only): (Vec<&str>, Vec<&str>) = app
        .redirect_uris
        .lines()
        .partition(|u| RedirectUri::parse(u, Environment::Production).is_ok());
    Ok(vec![
        ReadinessItem {
            label: "An enrollee authorized the app in the sandbox".into(),
            met: grants > 0,
            explanation: if grants > 0 {
                format!("{grants} synthetic enrollee(s) completed the authorization flow.")
            } else {
                "Sign in as a synthetic enrollee (for example BBUser00000) through your app or the test client and allow access. The demo will show this flow.".into()
            },
        },
        ReadinessItem {
            label: "The app read claims data in the sandbox".into(),
            met: successful_calls > 0,
            explanation: if successful_calls > 0 {
                format!("{successful_calls} successful FHIR call(s) recorded.")
            } else {
                "Call the Patient, Coverage or ExplanationOfBenefit endpoints with a sandbox token and get data back.".into()
            },
        },
        ReadinessItem {
            label: "Redirect URIs can be used in production".into(),
            met: !production_ready.is_empty() && http_only.is_empty(),
            explanation: if http_only.is_empty() && !production_ready.is_empty() {
                "Every redirect URI is https or a custom scheme.".into()
            } else if production_ready.is_empty() {
                "Production needs https:// addresses or a reverse-domain custom scheme; you will list them in the application.".into()
            } else {
                format!(
                    "Production does not accept http:// addresses: {}. List https:// ones in the application.",
                    http_only.join(", ")
                )
            },
        },
        ReadinessItem {
            label: "Privacy policy and terms of service are published".into(),
            met: !app.privacy_policy_url.is_empty() && !app.terms_url.is_empty(),
            explanation: format!(
                "Privacy policy: {}; terms: {}. You will also upload both as PDFs.",
                app.privacy_policy_url, app.terms_url
            ),
        },
    ])
}

/// The application started from `app`, if there is one.
pub async fn for_app(
    db: &DatabaseConnection,
    owner: AccountId,
    app: Uuid,
) -> Result<Option<Uuid>, DbErr> {
    Ok(access_request::Entity::find()
        .filter(access_request::Column::ApplicationId.eq(app))
        .filter(access_request::Column::OwnerId.eq(owner.0))
        .one(db)
        .await?
        .map(|r| r.id))
}

/// Answers the sandbox app and the account already give.
fn prefill(owner: &CurrentUser, app: &application::Model) -> Vec<(&'static str, Answers)> {
    let pairs = |items: &[(&str, &str)]| -> Answers {
        items
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect()
    };
    let production_uris: Vec<&str> = app
        .redirect_uris
        .lines()
        .filter(|u| RedirectUri::parse(u, Environment::Production).is_ok())
        .collect();
    let redirect_uris = production_uris.join("\n");
    let demographics = if app.requires_demographics {
        "yes"
    } else {
        "no"
    };
    vec![
        (
            form::ORGANIZATION.key,
            pairs(&[
                ("legal_name", &owner.organization),
                ("website", &app.website_url),
                ("contact_name", &owner.name),
                ("contact_email", &owner.email),
            ]),
        ),
        (
            form::APPLICATION.key,
            pairs(&[
                ("app_name", &app.name),
                ("app_description", &app.description),
                ("redirect_uris", &redirect_uris),
                ("needs_demographics", demographics),
            ]),
        ),
        (
            form::POLICIES,
            pairs(&[
                ("privacy_policy_url", &app.privacy_policy_url),
                ("terms_url", &app.terms_url),
            ]),
        ),
    ]
}

/// Starts an application for one of `owner`'s sandbox apps, or returns the
/// one already started for it.
pub async fn start(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: &CurrentUser,
    app: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, ApplicationError> {
    if !owner.verified {
        return Err(ApplicationError::Unverified);
    }
    let txn = crate::db::begin_write(db).await?;
    let app = crate::apps::owned(&txn, owner.id, app)
        .await
        .map_err(|e| match e {
            crate::apps::AppsError::Common(Common::Db(e)) => ApplicationError::from(e),
            _ => ApplicationError::Common(Common::NotFound),
        })?;
    if let Some(existing) = access_request::Entity::find()
        .filter(access_request::Column::ApplicationId.eq(app.id))
        .one(&txn)
        .await?
    {
        return Ok(existing.id);
    }
    let id = Uuid::new_v4();
    access_request::ActiveModel {
        id: Set(id),
        application_id: Set(app.id),
        owner_id: Set(owner.id.0),
        state: Set(AccessState::Draft.as_str().into()),
        current_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(None),
        assignee_id: Set(None),
        first_response_due_at: Set(None),
        first_response_at: Set(None),
        demo_invited_at: Set(None),
        approved_data_access_type: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
        production_app_id: Set(None),
        listing_approved_at: Set(None),
    }
    .insert(&txn)
    .await?;
    for (section, answers) in prefill(owner, &app) {
        access_request_section::ActiveModel {
            request_id: Set(id),
            section: Set(section.into()),
            answers: Set(serde_json::to_string(&answers).expect("strings serialize")),
            revision: Set(1),
            updated_at: Set(now),
            updated_by: Set(owner.id.0),
        }
        .insert(&txn)
        .await?;
    }
    event(
        &txn,
        id,
        Some(owner.id),
        "started",
        format!("Application started from the sandbox app {}.", app.name),
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.started", "access_request", id)
            .after(serde_json::json!({ "application_id": app.id, "state": "draft" })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// `owner`'s applications, most recently changed first.
pub async fn list_for_owner(
    db: &DatabaseConnection,
    owner: AccountId,
) -> Result<Vec<AccessRequestSummary>, DbErr> {
    let requests = access_request::Entity::find()
        .filter(access_request::Column::OwnerId.eq(owner.0))
        .order_by_desc(access_request::Column::UpdatedAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(requests.len());
    for r in requests {
        let app_name = application::Entity::find_by_id(r.application_id)
            .one(db)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        out.push(AccessRequestSummary {
            id: r.id,
            application_id: r.application_id,
            app_name,
            state: state_of(&r)?,
            current_version: r.current_version,
            updated_at: r.updated_at,
        });
    }
    Ok(out)
}

async fn sections_of(
    db: &impl ConnectionTrait,
    request: Uuid,
) -> Result<Vec<SectionAnswers>, DbErr> {
    let saved = access_request_section::Entity::find()
        .filter(access_request_section::Column::RequestId.eq(request))
        .all(db)
        .await?;
    Ok(form::sections()
        .iter()
        .map(
            |section| match saved.iter().find(|s| s.section == section.key) {
                Some(row) => SectionAnswers {
                    key: section.key.into(),
                    answers: serde_json::from_str(&row.answers).unwrap_or_default(),
                    revision: row.revision,
                    updated_at: Some(row.updated_at),
                },
                None => SectionAnswers {
                    key: section.key.into(),
                    answers: Answers::new(),
                    revision: 0,
                    updated_at: None,
                },
            },
        )
        .collect())
}

fn all_missing(sections: &[SectionAnswers], documents: &[DocumentRow]) -> Vec<Missing> {
    let answers: BTreeMap<String, Answers> = sections
        .iter()
        .map(|s| (s.key.clone(), s.answers.clone()))
        .collect();
    let mut missing = form::missing(&answers);
    for kind in DocumentKind::ALL {
        if !documents.iter().any(|d| d.kind == kind.as_str()) {
            missing.push(Missing {
                section: form::POLICIES,
                field: None,
                message: format!("Upload your {} as a PDF", kind.label().to_lowercase()),
            });
        }
    }
    missing
}

/// The application, for its applicant or a reviewer.
pub async fn get(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<AccessRequestView, ApplicationError> {
    let request = find(db, id).await?;
    if !may_read(&request, viewer) {
        return Err(ApplicationError::Common(Common::NotFound));
    }
    let app_name = application::Entity::find_by_id(request.application_id)
        .one(db)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    let sections = sections_of(db, id).await?;
    let documents = documents::latest::<access_document::Entity>(db, id).await?;
    let missing = all_missing(&sections, &documents);
    Ok(AccessRequestView {
        id,
        application_id: request.application_id,
        app_name,
        owner_id: request.owner_id,
        state: state_of(&request)?,
        current_version: request.current_version,
        sections,
        documents: documents.into_iter().map(DocumentView::from_row).collect(),
        missing,
        created_at: request.created_at,
        updated_at: request.updated_at,
        submitted_at: request.submitted_at,
    })
}

/// Saves one section. `revision` is the revision the applicant was editing; if
/// the section was saved since (another tab, a colleague), nothing is saved
/// and [`ApplicationError::Conflict`] says when the other save happened.
#[allow(clippy::too_many_arguments)]
pub async fn save_section(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    owner: AccountId,
    id: Uuid,
    section_key: &str,
    revision: i32,
    submitted: &Answers,
    now: DateTime<Utc>,
) -> Result<i32, ApplicationError> {
    let section = form::section(section_key).ok_or(ApplicationError::Common(Common::NotFound))?;
    let answers = form::clean_section(section, submitted)?;
    let json = serde_json::to_string(&answers).expect("strings serialize");
    let txn = crate::db::begin_write(db).await?;
    let request = owned(&txn, owner, id).await?;
    let state = state_of(&request)?;
    if !state.applicant_may_edit() {
        return Err(ApplicationError::NotEditable(state));
    }
    let existing = access_request_section::Entity::find_by_id((id, section.key.to_string()))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(|row| row.answers.clone());
    let new_revision = match existing {
        None if revision == 0 => {
            access_request_section::ActiveModel {
                request_id: Set(id),
                section: Set(section.key.into()),
                answers: Set(json.clone()),
                revision: Set(1),
                updated_at: Set(now),
                updated_by: Set(owner.0),
            }
            .insert(&txn)
            .await?;
            1
        }
        None => return Err(ApplicationError::Common(Common::NotFound)),
        Some(row) if row.revision != revision => {
            return Err(ApplicationError::Conflict {
                updated_at: row.updated_at,
            })
        }
        Some(row) => {
            // Conditional on the revision, so that of two saves racing past the
            // check above only one lands.
            let updated = access_request_section::Entity::update_many()
                .col_expr(
                    access_request_section::Column::Answers,
                    Expr::value(json.clone()),
                )
                .col_expr(
                    access_request_section::Column::Revision,
                    Expr::value(row.revision + 1),
                )
                .col_expr(access_request_section::Column::UpdatedAt, Expr::value(now))
                .col_expr(
                    access_request_section::Column::UpdatedBy,
                    Expr::value(owner.0),
                )
                .filter(access_request_section::Column::RequestId.eq(id))
                .filter(access_request_section::Column::Section.eq(section.key))
                .filter(access_request_section::Column::Revision.eq(revision))
                .exec(&txn)
                .await?;
            if updated.rows_affected != 1 {
                return Err(ApplicationError::Conflict {
                    updated_at: row.updated_at,
                });
            }
            row.revision + 1
        }
    };
    access_request::Entity::update_many()
        .col_expr(access_request::Column::UpdatedAt, Expr::value(now))
        .filter(access_request::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("access_request.section_saved", "access_request", id)
            .before(serde_json::json!({ "section": section.key, "answers": before.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()) }))
            .after(serde_json::json!({ "section": section.key, "revision": new_revision, "answers": answers })),
    )
    .await?;
    txn.commit().await?;
    Ok(new_revision)
}

/// Checks, analyses and stores a policy PDF for one of `owner`'s applications.
/// Nothing is kept unless everything succeeds.
#[allow(clippy::too_many_arguments)]
pub async fn upload_document(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    ctx: &AuditContext,
    owner: AccountId,
    id: Uuid,
    kind: DocumentKind,
    filename: &str,
    bytes: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<DocumentView, ApplicationError> {
    let request = owned(db, owner, id).await?;
    let state = state_of(&request)?;
    if !state.applicant_may_edit() {
        return Err(ApplicationError::NotEditable(state));
    }
    let stored = store_pdf(db, blobs, kind, bytes, now).await?;
    let (pdf, analysis, sha256) = (&stored.pdf, &stored.analysis, &stored.sha256);
    let filename = display_filename(filename, kind);
    let recorded = async {
        let txn = crate::db::begin_write(db).await?;
        let request = owned(&txn, owner, id).await?;
        let state = state_of(&request)?;
        if !state.applicant_may_edit() {
            return Err(ApplicationError::NotEditable(state));
        }
        let doc = access_document::ActiveModel {
            id: Set(Uuid::new_v4()),
            request_id: Set(id),
            kind: Set(kind.as_str().into()),
            filename: Set(filename.clone()),
            sha256: Set(sha256.clone()),
            size_bytes: Set(pdf.bytes.len() as i64),
            page_count: Set(pdf.page_count as i32),
            word_count: Set(analysis.readability.words as i32),
            extracted_text: Set(pdf.text.clone()),
            analysis: Set(serde_json::to_string(&analysis).expect("analysis serializes")),
            uploaded_by: Set(owner.0),
            uploaded_at: Set(now),
        }
        .insert(&txn)
        .await?;
        access_request::Entity::update_many()
            .col_expr(access_request::Column::UpdatedAt, Expr::value(now))
            .filter(access_request::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        event(
            &txn,
            id,
            Some(owner),
            "document_uploaded",
            format!("{} uploaded: {} ({} pages).", kind.label(), filename, pdf.page_count),
            now,
        )
        .await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("access_request.document_uploaded", "access_request", id).after(
                serde_json::json!({ "document_id": doc.id, "kind": kind.as_str(), "filename": filename, "sha256": sha256, "size_bytes": doc.size_bytes, "page_count": doc.page_count }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok::<_, ApplicationError>(doc)
    }
    .await;
    // On failure the stored file stays for the collector (blobs::collector).
    recorded.map(|doc| DocumentView::from_row(doc.into()))
}

/// A document's file name and bytes, for its applicant or a reviewer.
/// Audited: who read which file is part of the record.
pub async fn download_document(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    ctx: &AuditContext,
    viewer: &CurrentUser,
    document: Uuid,
    now: DateTime<Utc>,
) -> Result<(String, Vec<u8>), ApplicationError> {
    let doc = access_document::Entity::find_by_id(document)
        .one(db)
        .await?
        .ok_or(ApplicationError::Common(Common::NotFound))?;
    let request = find(db, doc.request_id).await?;
    if !may_read(&request, viewer) {
        return Err(ApplicationError::Common(Common::NotFound));
    }
    let bytes = blobs.get(&doc.sha256).await?;
    audit::record(
        db,
        ctx,
        now,
        AuditRecord::new("access_request.document_downloaded", "access_request", doc.request_id)
            .after(serde_json::json!({ "document_id": doc.id, "filename": doc.filename, "sha256": doc.sha256 })),
    )
    .await?;
    Ok((doc.filename, bytes))
}

/// Where an application stands, without loading its answers and documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub state: AccessState,
    pub current_version: i32,
    pub demo_invited: bool,
    /// The data access the applicant asked for (13-month when not answered).
    pub requested_access: String,
}

/// The application's [`Status`], for its applicant or a reviewer.
pub async fn status(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<Status, ApplicationError> {
    let request = find(db, id).await?;
    if !may_read(&request, viewer) {
        return Err(ApplicationError::Common(Common::NotFound));
    }
    let requested_access =
        access_request_section::Entity::find_by_id((id, form::APPLICATION.key.to_string()))
            .one(db)
            .await?
            .and_then(|row| serde_json::from_str::<Answers>(&row.answers).ok())
            .and_then(|answers| answers.get("data_access_type").cloned())
            .unwrap_or_else(|| "13-month".into());
    Ok(Status {
        state: state_of(&request)?,
        current_version: request.current_version,
        demo_invited: request.demo_invited_at.is_some(),
        requested_access,
    })
}

/// Every submitted version of the application, oldest first.
pub async fn versions(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<Vec<Snapshot>, ApplicationError> {
    let request = find(db, id).await?;
    if !may_read(&request, viewer) {
        return Err(ApplicationError::Common(Common::NotFound));
    }
    let rows = access_request_version::Entity::find()
        .filter(access_request_version::Column::RequestId.eq(id))
        .order_by_asc(access_request_version::Column::Version)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| serde_json::from_str(&r.snapshot).ok())
        .collect())
}

/// The application's timeline, oldest first.
pub async fn timeline(
    db: &DatabaseConnection,
    viewer: &CurrentUser,
    id: Uuid,
) -> Result<Vec<TimelineEntry>, ApplicationError> {
    let request = find(db, id).await?;
    if !may_read(&request, viewer) {
        return Err(ApplicationError::Common(Common::NotFound));
    }
    Ok(access_request_event::Entity::find()
        .filter(access_request_event::Column::RequestId.eq(id))
        .order_by_asc(access_request_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| TimelineEntry {
            at: e.occurred_at,
            kind: e.kind,
            detail: e.detail,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_stored_state_is_an_error_not_an_editable_draft() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let stored = |state: &str| access_request::Model {
            id: Uuid::from_u128(1),
            application_id: Uuid::from_u128(2),
            owner_id: Uuid::from_u128(3),
            state: state.into(),
            current_version: 1,
            created_at: at,
            updated_at: at,
            submitted_at: None,
            assignee_id: None,
            first_response_due_at: None,
            first_response_at: None,
            demo_invited_at: None,
            approved_data_access_type: None,
            decided_at: None,
            decision_reason: None,
            production_app_id: None,
            listing_approved_at: None,
        };
        for state in AccessState::ALL {
            assert_eq!(state_of(&stored(state.as_str())), Ok(state));
        }
        for unknown in ["", "draft ", "Draft", "archived", "in-review"] {
            let error = state_of(&stored(unknown)).unwrap_err();
            assert!(error.to_string().contains("does not know"), "{error}");
        }
    }

    fn snapshot(version: i32, legal_name: &str, policy_sha: &str) -> Snapshot {
        let mut answers = BTreeMap::new();
        answers.insert(
            "organization".to_string(),
            Answers::from([("legal_name".to_string(), legal_name.to_string())]),
        );
        Snapshot {
            version,
            submitted_at: DateTime::parse_from_rfc3339("2026-06-01T14:00:00Z")
                .unwrap()
                .to_utc(),
            app_name: "App".into(),
            answers,
            documents: vec![DocumentRef {
                id: Uuid::new_v4(),
                kind: "privacy_policy".into(),
                filename: "policy.pdf".into(),
                sha256: policy_sha.into(),
                size_bytes: 10,
                page_count: 1,
            }],
            attestation: Attestation::default(),
        }
    }

    #[test]
    fn diff_names_changed_answers_and_replaced_documents_only() {
        let v1 = snapshot(1, "Acme", "aaaa");
        let v2 = snapshot(2, "Acme Health, Inc.", "bbbb");
        let changes = diff(&v1, &v2);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes[0].label, "Legal name of the organization");
        assert_eq!(
            (changes[0].before.as_str(), changes[0].after.as_str()),
            ("Acme", "Acme Health, Inc.")
        );
        assert_eq!(changes[1].label, "Privacy policy");
        assert!(changes[1].after.contains("bbbb"));
        assert!(diff(&v1, &v1).is_empty());
    }
}
