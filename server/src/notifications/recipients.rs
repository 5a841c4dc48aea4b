//! Who hears about what. The rules are here, not at each call site, so
//! that "the applicant's contacts" or "the reviewer on it" mean the same in
//! every email.
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use crate::{
    entities::{access_request, access_request_version, account},
    ids::Role,
};

/// Everyone who hears about application `request`: the point of contact and
/// further contacts its latest submitted version names, and the applicant,
/// each once (the applicant alone before the first submission).
pub async fn applicants(
    db: &impl ConnectionTrait,
    request: &access_request::Model,
) -> Result<Vec<String>, DbErr> {
    let owner = account::Entity::find_by_id(request.owner_id)
        .one(db)
        .await?
        .map(|a| a.email)
        .unwrap_or_default();
    let latest = access_request_version::Entity::find()
        .filter(access_request_version::Column::RequestId.eq(request.id))
        .order_by_desc(access_request_version::Column::Version)
        .one(db)
        .await?;
    let named = latest
        .and_then(|v| serde_json::from_str::<NamedContacts>(&v.snapshot).ok())
        .map(|s| s.answers.organization)
        .unwrap_or_default();
    Ok(once_each(
        std::iter::once(named.contact_email)
            .chain(named.other_contacts.lines().map(str::to_string))
            .chain(std::iter::once(owner)),
    ))
}

/// The contacts part of a stored snapshot (`applications::Snapshot`); the
/// rest of it does not matter here.
#[derive(Deserialize)]
struct NamedContacts {
    answers: NamedSections,
}

#[derive(Deserialize)]
struct NamedSections {
    #[serde(default)]
    organization: Organization,
}

#[derive(Default, Deserialize)]
struct Organization {
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    other_contacts: String,
}

/// Every reviewer and admin.
pub async fn reviewers(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    with_roles(db, &[Role::Reviewer, Role::Admin]).await
}

pub async fn admins(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    with_roles(db, &[Role::Admin]).await
}

/// The reviewer working on the application, or every reviewer if none is.
pub async fn assignee_or_reviewers(
    db: &impl ConnectionTrait,
    request: &access_request::Model,
) -> Result<Vec<String>, DbErr> {
    if let Some(assignee) = request.assignee_id {
        if let Some(a) = account::Entity::find_by_id(assignee).one(db).await? {
            return Ok(vec![a.email]);
        }
    }
    reviewers(db).await
}

async fn with_roles(db: &impl ConnectionTrait, roles: &[Role]) -> Result<Vec<String>, DbErr> {
    Ok(account::Entity::find()
        .filter(account::Column::Role.is_in(roles.iter().map(|r| r.as_str())))
        .order_by_asc(account::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.email)
        .collect())
}

/// Drops empty addresses and repeats (addresses compare without case).
pub fn once_each(addresses: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    addresses
        .into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty() && seen.insert(a.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_is_kept_once_whatever_its_case() {
        assert_eq!(
            once_each(["Dev@Example.com", "", "dev@example.com", "b@x.org"].map(String::from)),
            ["Dev@Example.com", "b@x.org"]
        );
    }

    #[test]
    fn contacts_are_read_from_a_stored_snapshot() {
        let stored = r#"{"version":1,"answers":{"organization":{"contact_email":"poc@x.org","other_contacts":"a@x.org\nb@x.org","name":"X"},"app":{"name":"Y"}},"documents":[]}"#;
        let named: NamedContacts = serde_json::from_str(stored).unwrap();
        assert_eq!(named.answers.organization.contact_email, "poc@x.org");
        assert_eq!(named.answers.organization.other_contacts.lines().count(), 2);
    }
}
