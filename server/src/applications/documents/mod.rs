//! Uploaded policy documents, for applications and for policy changes alike:
//! what a page shows of one, the latest of each kind, and checking and
//! storing a new PDF. Recording an upload is the owner's business (its state
//! decides whether it may), so that stays with applications and policy changes.
pub mod policy_pdf;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{analysis, Analysis, ApplicationError, DocumentKind, DocumentRef};
use crate::{
    blobs::BlobStore,
    entities::{access_document, policy_change_document},
};

/// An uploaded document as the applicant and reviewers see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: Uuid,
    pub kind: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub page_count: i32,
    pub word_count: i32,
    pub analysis: Analysis,
    pub uploaded_at: DateTime<Utc>,
}

/// A document's record without its extracted text, which can run to
/// megabytes and which no page needs (the analysis is stored beside it).
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub(crate) struct DocumentRow {
    pub(crate) id: Uuid,
    pub(crate) kind: String,
    pub(crate) filename: String,
    pub(crate) sha256: String,
    pub(crate) size_bytes: i64,
    pub(crate) page_count: i32,
    pub(crate) word_count: i32,
    pub(crate) analysis: String,
    pub(crate) uploaded_at: DateTime<Utc>,
}

impl From<access_document::Model> for DocumentRow {
    fn from(m: access_document::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            filename: m.filename,
            sha256: m.sha256,
            size_bytes: m.size_bytes,
            page_count: m.page_count,
            word_count: m.word_count,
            analysis: m.analysis,
            uploaded_at: m.uploaded_at,
        }
    }
}

impl DocumentRef {
    /// How a submitted version records `row`.
    pub(crate) fn of(row: &DocumentRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind.clone(),
            filename: row.filename.clone(),
            sha256: row.sha256.clone(),
            size_bytes: row.size_bytes,
            page_count: row.page_count,
        }
    }
}

impl DocumentView {
    pub(crate) fn from_row(m: DocumentRow) -> Self {
        let analysis =
            serde_json::from_str(&m.analysis).unwrap_or_else(|_| analysis::analyse("", false));
        Self {
            id: m.id,
            kind: m.kind,
            filename: m.filename,
            sha256: m.sha256,
            size_bytes: m.size_bytes,
            page_count: m.page_count,
            word_count: m.word_count,
            analysis,
            uploaded_at: m.uploaded_at,
        }
    }
}

/// The tables that hold uploaded policy documents: an application's, and a
/// policy change's proposed ones. Both have the same columns; only the owner
/// differs.
pub(crate) trait DocumentTable: EntityTrait {
    /// The column naming the application or change the document belongs to.
    const OWNER: Self::Column;
    const ID: Self::Column;
    const KIND: Self::Column;
    const UPLOADED_AT: Self::Column;
    /// Everything but the extracted text.
    const LISTED: [Self::Column; 9];
}

/// Both tables name their columns alike; only the owner column differs.
macro_rules! document_table {
    ($table:ident, $owner:ident) => {
        impl DocumentTable for $table::Entity {
            const OWNER: $table::Column = $table::Column::$owner;
            const ID: $table::Column = $table::Column::Id;
            const KIND: $table::Column = $table::Column::Kind;
            const UPLOADED_AT: $table::Column = $table::Column::UploadedAt;
            const LISTED: [$table::Column; 9] = {
                use $table::Column as C;
                [
                    C::Id,
                    C::Kind,
                    C::Filename,
                    C::Sha256,
                    C::SizeBytes,
                    C::PageCount,
                    C::WordCount,
                    C::Analysis,
                    C::UploadedAt,
                ]
            };
        }
    };
}

document_table!(access_document, RequestId);
document_table!(policy_change_document, ChangeId);

/// The latest upload of each kind that `owner` has in table `T`.
pub(crate) async fn latest<T: DocumentTable>(
    db: &impl ConnectionTrait,
    owner: Uuid,
) -> Result<Vec<DocumentRow>, DbErr> {
    let mut out = Vec::new();
    for kind in DocumentKind::ALL {
        if let Some(doc) = T::find()
            .select_only()
            .columns(T::LISTED)
            .filter(T::OWNER.eq(owner))
            .filter(T::KIND.eq(kind.as_str()))
            .order_by_desc(T::UPLOADED_AT)
            .order_by_desc(T::ID)
            .into_model::<DocumentRow>()
            .one(db)
            .await?
        {
            out.push(doc);
        }
    }
    Ok(out)
}

/// The latest upload of each kind of an application: once it is approved,
/// the documents it was approved with.
pub(crate) async fn submitted_documents(
    db: &impl ConnectionTrait,
    request: Uuid,
) -> Result<Vec<DocumentView>, DbErr> {
    Ok(latest::<access_document::Entity>(db, request)
        .await?
        .into_iter()
        .map(DocumentView::from_row)
        .collect())
}

/// A file name as uploaded, reduced to a safe display name.
pub(crate) fn display_filename(raw: &str, kind: DocumentKind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        format!("{}.pdf", kind.as_str())
    } else {
        clean.trim().to_string()
    }
}

/// A policy PDF that passed every check, analysed and put in the blob store,
/// not yet recorded anywhere.
pub(crate) struct StoredPdf {
    pub pdf: policy_pdf::PolicyPdf,
    pub analysis: Analysis,
    pub sha256: String,
}

/// Checks `bytes` as a policy PDF (off the async runtime), analyses its text
/// and stores it.
pub(crate) async fn store_pdf(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    kind: DocumentKind,
    bytes: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<StoredPdf, ApplicationError> {
    let pdf = tokio::task::spawn_blocking(move || policy_pdf::PolicyPdf::parse(bytes))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    let analysis = analysis::analyse(&pdf.text, kind == DocumentKind::PrivacyPolicy);
    let sha256 = blobs.put(db, &pdf.bytes, now).await?;
    Ok(StoredPdf {
        pdf,
        analysis,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_file_names_are_reduced_to_a_safe_base_name() {
        assert_eq!(
            display_filename("C:\\Users\\me\\policy.pdf", DocumentKind::PrivacyPolicy),
            "policy.pdf"
        );
        assert_eq!(
            display_filename("../../etc/x.pdf", DocumentKind::PrivacyPolicy),
            "x.pdf"
        );
        assert_eq!(
            display_filename("", DocumentKind::TermsOfService),
            "terms_of_service.pdf"
        );
    }
}
