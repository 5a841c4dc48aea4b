//! Conflict of interest: no one reviews, decides on or hands credentials
//! for an application from their own account or their own organization
//! (issue 18). Staff may see such an application (so that they know why they
//! cannot act), and an admin assigns it to a reviewer without the conflict.
//!
//! Organizations are free text typed by people, so they are compared after
//! trimming, folding case and collapsing runs of spaces and punctuation:
//! "Acme Health, Inc." and "acme health inc" are the same organization.
use sea_orm::{ConnectionTrait, EntityTrait};

use super::ReviewError;
use crate::{
    accounts::CurrentUser,
    applications,
    entities::{access_request, account},
};

/// Why a staff member may not act on an application.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("This application was made from your own account, so another reviewer must handle it. An admin can assign it.")]
    OwnAccount,
    #[error("This application comes from your own organization ({0}), so another reviewer must handle it. An admin can assign it.")]
    OwnOrganization(String),
}

/// The organization name reduced to what identifies it.
fn folded(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rule: `staff` against the applicant's account and the organization
/// named in the application.
pub fn conflict(
    staff: (&uuid::Uuid, &str),
    applicant: (&uuid::Uuid, &str),
    legal_name: &str,
) -> Option<Conflict> {
    let (staff_id, staff_org) = staff;
    let (applicant_id, applicant_org) = applicant;
    if staff_id == applicant_id {
        return Some(Conflict::OwnAccount);
    }
    let own = folded(staff_org);
    if own.is_empty() {
        return None;
    }
    [applicant_org, legal_name]
        .into_iter()
        .find(|org| folded(org) == own)
        .map(|org| Conflict::OwnOrganization(org.trim().to_string()))
}

/// The conflict, if any, between `staff` (an account id and organization)
/// and the application `request`.
pub(crate) async fn conflict_with(
    db: &impl ConnectionTrait,
    staff: (&uuid::Uuid, &str),
    request: &access_request::Model,
) -> Result<Option<Conflict>, sea_orm::DbErr> {
    let applicant = account::Entity::find_by_id(request.owner_id)
        .one(db)
        .await?;
    let applicant_org = applicant.map(|a| a.organization).unwrap_or_default();
    let legal_name = crate::applications::snapshot::latest_snapshot(db, request.id)
        .await?
        .map(|s| s.answer("organization", "legal_name").to_string())
        .unwrap_or_default();
    Ok(conflict(
        staff,
        (&request.owner_id, &applicant_org),
        &legal_name,
    ))
}

/// What every reviewer action on one application checks first: that the
/// actor may review, and has no conflict with the application `id`.
pub(crate) async fn require_reviewer_for(
    db: &impl ConnectionTrait,
    reviewer: &CurrentUser,
    id: uuid::Uuid,
) -> Result<(), ReviewError> {
    super::require_reviewer(reviewer)?;
    let request = applications::find(db, id).await?;
    match conflict_with(db, (&reviewer.id.0, &reviewer.organization), &request).await? {
        Some(conflict) => Err(ReviewError::Conflict(conflict)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_account_and_own_organization_conflict_however_it_is_typed() {
        let (me, them) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        assert_eq!(
            conflict((&me, "CMS"), (&me, "Other"), "Other"),
            Some(Conflict::OwnAccount)
        );
        assert_eq!(
            conflict(
                (&me, "Acme Health, Inc."),
                (&them, "acme  health inc"),
                "Acme Apps LLC"
            ),
            Some(Conflict::OwnOrganization("acme  health inc".into()))
        );
        assert_eq!(
            conflict(
                (&me, "acme apps llc"),
                (&them, "Someone"),
                " Acme Apps, LLC "
            ),
            Some(Conflict::OwnOrganization("Acme Apps, LLC".into())),
            "the organization named in the application counts too"
        );
        assert_eq!(
            conflict((&me, "CMS"), (&them, "Acme Health"), "Acme Health"),
            None
        );
        assert_eq!(
            conflict((&me, "CMS"), (&them, "CMS Partners"), ""),
            None,
            "whole names only"
        );
        assert_eq!(
            conflict((&me, " , "), (&them, ""), ""),
            None,
            "no organization, no match"
        );
    }
}
