//! Production-access applications: readiness, sections, documents, submission.
use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

/// One question, with its saved answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDto {
    pub key: String,
    pub label: String,
    pub hint: Option<String>,
    /// `text`, `long_text`, `email`, `email_list`, `phone`, `url`, `yes_no`, `choice`, `redirect_uris`, `attest`.
    pub kind: String,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionDto {
    pub key: String,
    pub title: String,
    pub intro: String,
    pub fields: Vec<FieldDto>,
    pub revision: i32,
    /// Answers still needed in this section before submitting.
    pub missing: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HintDto {
    pub item: String,
    pub excerpt: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentDto {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub filename: String,
    pub sha256: String,
    pub size: String,
    pub pages: i32,
    pub words: i32,
    pub reading_ease: f64,
    pub grade_level: f64,
    pub hints: Vec<HintDto>,
    pub uploaded: String,
    /// Where the PDF can be opened by whoever sees this.
    pub href: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingDto {
    pub section: String,
    pub section_title: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineDto {
    pub at: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeDto {
    pub section: String,
    pub label: String,
    pub before: String,
    pub after: String,
}

/// Everything the application's pages show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessDto {
    pub id: String,
    pub app_id: String,
    pub app_name: String,
    pub state: String,
    pub state_label: String,
    pub waiting_on: String,
    pub next_step: String,
    pub editable: bool,
    /// Live apps propose privacy-policy and terms changes for approval.
    pub may_propose_policy_changes: bool,
    pub current_version: i32,
    pub sections: Vec<SectionDto>,
    pub documents: Vec<DocumentDto>,
    pub missing: Vec<MissingDto>,
    pub timeline: Vec<TimelineDto>,
    /// What changed between the last two submitted versions.
    pub changes: Vec<ChangeDto>,
    /// Every submitted version, newest first, with what it changed.
    pub history: Vec<VersionDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDto {
    pub version: i32,
    pub submitted: String,
    /// Changes from the version before (empty for the first).
    pub changes: Vec<ChangeDto>,
}

impl AccessDto {
    pub fn section(&self, key: &str) -> Option<&SectionDto> {
        self.sections.iter().find(|s| s.key == key)
    }

    /// The section after `key`, or `None` after the last one.
    pub fn next_section(&self, key: &str) -> Option<&SectionDto> {
        let at = self.sections.iter().position(|s| s.key == key)?;
        self.sections.get(at + 1)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessItemDto {
    pub label: String,
    pub met: bool,
    pub explanation: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessDto {
    pub app_id: String,
    pub app_name: String,
    pub items: Vec<ReadinessItemDto>,
    /// The application already started from this app.
    pub existing: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSummaryDto {
    pub id: String,
    pub app_name: String,
    pub state_label: String,
    pub version: i32,
    pub updated: String,
}

/// The applications' refusals in words; reviews, production and policy
/// changes pass theirs through here too, so they read the same everywhere.
#[cfg(feature = "ssr")]
pub(crate) fn access_error(error: server::applications::ApplicationError) -> AppError {
    use server::applications::ApplicationError;
    match error {
        ApplicationError::Common(c) => {
            super::ssr::common(c, "We could not find that application in your account.")
        }
        ApplicationError::Unverified => AppError::Message(
            "Confirm your email address before you apply for production access.".into(),
        ),
        ApplicationError::NotEditable(state) => AppError::Message(format!(
            "The application is {} and cannot be changed now.",
            state.label().to_lowercase()
        )),
        ApplicationError::Conflict { updated_at } => AppError::Message(format!(
            "This section was saved in another tab or window at {}, after you opened it. Nothing was saved here, so no answer was lost: your answers are below. Reload the section to see the saved version, then make your changes again.",
            server::calendar::format_eastern(updated_at, "%-I:%M:%S %p")
        )),
        ApplicationError::Incomplete(missing) => AppError::Message(format!(
            "The application is not complete yet: {}.",
            missing
                .iter()
                .map(|m| m.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        )),
        ApplicationError::AlreadySubmitted => AppError::Message(
            "This version was already submitted (perhaps in another tab). Nothing more was sent.".into(),
        ),
        ApplicationError::Document(problem) => AppError::Message(problem.to_string()),
        ApplicationError::Illegal(e) => internal(e),
        ApplicationError::Storage(e) => internal(e),
    }
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    super::format::id(id, "We could not find that application in your account.")
}

#[cfg(feature = "ssr")]
fn human_size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// A checklist item's words, from its key.
#[cfg(feature = "ssr")]
pub(crate) fn checklist_text(key: &str) -> String {
    server::applications::form::PRIVACY_CHECKLIST
        .iter()
        .find(|i| i.key == key)
        .map(|i| i.text.to_string())
        .unwrap_or_default()
}

/// A document and its analysis as pages show it; `href` opens the PDF.
#[cfg(feature = "ssr")]
pub(crate) fn document_dto(d: &server::applications::DocumentView, href: String) -> DocumentDto {
    DocumentDto {
        id: d.id.to_string(),
        kind: d.kind.clone(),
        kind_label: server::applications::DocumentKind::parse(&d.kind)
            .map(|k| k.label().to_string())
            .unwrap_or_default(),
        filename: d.filename.clone(),
        sha256: d.sha256.clone(),
        size: human_size(d.size_bytes),
        pages: d.page_count,
        words: d.word_count,
        reading_ease: (d.analysis.readability.reading_ease * 10.0).round() / 10.0,
        grade_level: (d.analysis.readability.grade_level * 10.0).round() / 10.0,
        hints: d
            .analysis
            .hints
            .iter()
            .map(|h| HintDto {
                item: checklist_text(&h.item),
                excerpt: h.excerpt.clone(),
            })
            .collect(),
        uploaded: super::format::date_time(d.uploaded_at),
        href,
    }
}

#[cfg(feature = "ssr")]
fn to_dto(
    view: server::applications::AccessRequestView,
    timeline: Vec<server::applications::TimelineEntry>,
    versions: &[server::applications::Snapshot],
) -> AccessDto {
    let change_dtos = |changes: Vec<server::applications::Change>| -> Vec<ChangeDto> {
        changes
            .into_iter()
            .map(|c| ChangeDto {
                section: c.section,
                label: c.label,
                before: c.before,
                after: c.after,
            })
            .collect()
    };
    let changes = match versions {
        [.., previous, latest] => server::applications::diff(previous, latest),
        _ => vec![],
    };
    let history = versions
        .iter()
        .enumerate()
        .rev()
        .map(|(i, v)| VersionDto {
            version: v.version,
            submitted: super::format::date_time(v.submitted_at),
            changes: if i == 0 {
                vec![]
            } else {
                change_dtos(server::applications::diff(&versions[i - 1], v))
            },
        })
        .collect();
    use server::applications::{form, WaitingOn};
    let sections = form::sections()
        .iter()
        .map(|spec| {
            let saved = view.section(spec.key);
            SectionDto {
                key: spec.key.into(),
                title: spec.title.into(),
                intro: spec.intro.into(),
                fields: spec
                    .fields
                    .iter()
                    .map(|f| FieldDto {
                        key: f.key.into(),
                        label: f.label.into(),
                        hint: f.hint.map(Into::into),
                        kind: f.kind.as_str().into(),
                        options: f
                            .kind
                            .options()
                            .iter()
                            .map(|(v, l)| (v.to_string(), l.to_string()))
                            .collect(),
                        required: f.required,
                        value: saved
                            .and_then(|s| s.answers.get(f.key))
                            .cloned()
                            .unwrap_or_default(),
                    })
                    .collect(),
                revision: saved.map(|s| s.revision).unwrap_or(0),
                missing: view
                    .missing
                    .iter()
                    .filter(|m| m.section == spec.key)
                    .count(),
            }
        })
        .collect();
    let title_of = |key: &str| {
        form::section(key)
            .map(|s| s.title.to_string())
            .unwrap_or_default()
    };
    AccessDto {
        id: view.id.to_string(),
        app_id: view.application_id.to_string(),
        app_name: view.app_name.clone(),
        state: view.state.as_str().into(),
        state_label: view.state.label().into(),
        waiting_on: match view.state.waiting_on() {
            WaitingOn::Applicant => "you".into(),
            WaitingOn::Reviewers => "the Blue Button 2.0 API team".into(),
            WaitingOn::Nobody => "no one".into(),
        },
        next_step: view.state.next_step().into(),
        editable: view.state.applicant_may_edit(),
        may_propose_policy_changes: view.state.may_propose_policy_changes(),
        current_version: view.current_version,
        sections,
        documents: view
            .documents
            .iter()
            .map(|d| document_dto(d, format!("/access/documents/{}", d.id)))
            .collect(),
        missing: view
            .missing
            .iter()
            .map(|m| MissingDto {
                section: m.section.into(),
                section_title: title_of(m.section),
                message: m.message.clone(),
            })
            .collect(),
        timeline: timeline
            .into_iter()
            .map(|t| TimelineDto {
                at: super::format::date_time(t.at),
                detail: t.detail,
            })
            .collect(),
        changes: change_dtos(changes),
        history,
    }
}

#[server(endpoint = "access/readiness")]
pub async fn access_readiness(app_id: String) -> Result<ReadinessDto, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let app = parse_id(&app_id)?;
    let details = server::apps::get_for_owner(&call.state.db, user.id, app)
        .await
        .map_err(super::apps::apps_error)?;
    let items = server::applications::readiness(&call.state.db, user.id, app)
        .await
        .map_err(access_error)?;
    let existing = server::applications::for_app(&call.state.db, user.id, app)
        .await
        .map_err(internal)?;
    Ok(ReadinessDto {
        app_id,
        app_name: details.name,
        items: items
            .into_iter()
            .map(|i| ReadinessItemDto {
                label: i.label,
                met: i.met,
                explanation: i.explanation,
            })
            .collect(),
        existing: existing.map(|id| id.to_string()),
    })
}

#[server(endpoint = "access/start")]
pub async fn start_access_request(app_id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let id = server::applications::start(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        parse_id(&app_id)?,
        call.now(),
    )
    .await
    .map_err(access_error)?;
    call.redirect(&format!("/access/{id}"));
    Ok(())
}

#[server(endpoint = "access/list")]
pub async fn list_access_requests() -> Result<Vec<AccessSummaryDto>, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let list = server::applications::list_for_owner(&call.state.db, user.id)
        .await
        .map_err(internal)?;
    Ok(list
        .into_iter()
        .map(|r| AccessSummaryDto {
            id: r.id.to_string(),
            app_name: r.app_name,
            state_label: r.state.label().into(),
            version: r.current_version,
            updated: super::format::date(r.updated_at),
        })
        .collect())
}

#[server(endpoint = "access/get")]
pub async fn get_access_request(id: String) -> Result<AccessDto, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let id = parse_id(&id)?;
    let db = &call.state.db;
    let view = server::applications::get(db, &user, id)
        .await
        .map_err(access_error)?;
    let timeline = server::applications::timeline(db, &user, id)
        .await
        .map_err(access_error)?;
    let versions = server::applications::versions(db, &user, id)
        .await
        .map_err(access_error)?;
    Ok(to_dto(view, timeline, &versions))
}

#[server(endpoint = "access/save_section")]
pub async fn save_access_section(
    id: String,
    section: String,
    revision: i32,
    #[server(default)] answers: BTreeMap<String, String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let request = parse_id(&id)?;
    let kept: Vec<(String, String)> = answers.clone().into_iter().collect();
    server::applications::save_section(
        &call.state.db,
        &call.audit_as(&user),
        user.id,
        request,
        &section,
        revision,
        &answers,
        call.now(),
    )
    .await
    .map_err(|e| {
        let kept: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        access_error(e).keeping(&kept)
    })?;
    let sections = server::applications::form::sections();
    let next = sections
        .iter()
        .position(|s| s.key == section)
        .and_then(|at| sections.get(at + 1))
        .map(|s| s.key)
        .unwrap_or("review");
    call.redirect(&format!("/access/{id}/{next}?saved={section}"));
    Ok(())
}

#[server(endpoint = "access/submit")]
pub async fn submit_access_request(
    id: String,
    version: i32,
    attest_name: String,
    attest_title: String,
    attest_terms: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let request = parse_id(&id)?;
    let kept = [
        ("attest_name", attest_name.clone()),
        ("attest_title", attest_title.clone()),
    ];
    let result = server::applications::submit(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        request,
        version,
        server::applications::Attestation {
            name: attest_name,
            title: attest_title,
            accepted: attest_terms.is_some(),
        },
        &call.notifier(),
        call.now(),
    )
    .await;
    match result {
        Ok(_) => {
            call.redirect(&format!("/access/{id}?submitted=1"));
            Ok(())
        }
        // The first click already submitted: show the application as it now stands.
        Err(server::applications::ApplicationError::AlreadySubmitted) => {
            call.redirect(&format!("/access/{id}?submitted=1"));
            Ok(())
        }
        Err(e) => {
            let kept: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Err(access_error(e).keeping(&kept))
        }
    }
}
