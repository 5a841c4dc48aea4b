//! Submitted versions: what was submitted, exactly as submitted, what changed
//! between two of them. Who hears about an application is
//! `notifications::recipients`' rule.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{form, Answers, DocumentKind, DocumentRef};
use crate::entities::{access_request, access_request_version, application};

/// Who attested, at submission, that the terms of service are read and met.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    pub name: String,
    pub title: String,
    pub accepted: bool,
}

/// A submitted version, exactly as submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: i32,
    pub submitted_at: DateTime<Utc>,
    pub app_name: String,
    /// Section key → answers.
    pub answers: BTreeMap<String, Answers>,
    pub documents: Vec<DocumentRef>,
    pub attestation: Attestation,
}

impl Snapshot {
    pub fn answer(&self, section: &str, field: &str) -> &str {
        self.answers
            .get(section)
            .and_then(|a| a.get(field))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// One difference between two versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub section: String,
    pub label: String,
    pub before: String,
    pub after: String,
}

/// What changed from `old` to `new`: answers field by field, then documents.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    let mut changes = Vec::new();
    for section in form::sections() {
        for field in section.fields {
            let (before, after) = (
                old.answer(section.key, field.key),
                new.answer(section.key, field.key),
            );
            if before != after {
                changes.push(Change {
                    section: section.title.to_string(),
                    label: field.label.to_string(),
                    before: before.to_string(),
                    after: after.to_string(),
                });
            }
        }
    }
    for kind in DocumentKind::ALL {
        let find = |s: &Snapshot| {
            s.documents
                .iter()
                .find(|d| d.kind == kind.as_str())
                .map(|d| format!("{} (SHA-256 {})", d.filename, d.sha256))
                .unwrap_or_default()
        };
        let (before, after) = (find(old), find(new));
        if before != after {
            changes.push(Change {
                section: "Documents".into(),
                label: kind.label().into(),
                before,
                after,
            });
        }
    }
    changes
}

/// The latest submitted version of application `request`, if any.
pub(crate) async fn latest_snapshot(
    db: &impl ConnectionTrait,
    request: Uuid,
) -> Result<Option<Snapshot>, DbErr> {
    Ok(access_request_version::Entity::find()
        .filter(access_request_version::Column::RequestId.eq(request))
        .order_by_desc(access_request_version::Column::Version)
        .one(db)
        .await?
        .and_then(|v| serde_json::from_str(&v.snapshot).ok()))
}

pub(crate) async fn app_name(
    db: &impl ConnectionTrait,
    request: &access_request::Model,
) -> Result<String, DbErr> {
    Ok(application::Entity::find_by_id(request.application_id)
        .one(db)
        .await?
        .map(|a| a.name)
        .unwrap_or_default())
}
