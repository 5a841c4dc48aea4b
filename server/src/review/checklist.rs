//! What reviewers check: the production-access criteria, every item of the
//! privacy-policy checklist, and that the terms do not contradict the policy.
use crate::applications::form::PRIVACY_CHECKLIST;

/// One line of the reviewers' checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewItem {
    pub key: &'static str,
    pub group: &'static str,
    pub text: &'static str,
}

const CRITERIA: &str = "Production-access criteria";
const PRIVACY: &str = "Privacy policy";
const TERMS: &str = "Terms of service";

/// The checklist, in the order reviewers work through it.
pub fn items() -> &'static [ReviewItem] {
    static ITEMS: std::sync::OnceLock<Vec<ReviewItem>> = std::sync::OnceLock::new();
    ITEMS.get_or_init(|| {
        let mut items = vec![
            ReviewItem { key: "us_based", group: CRITERIA, text: "The organization is a company based in the United States" },
            ReviewItem { key: "working_app", group: CRITERIA, text: "There is a working app to demonstrate" },
            ReviewItem { key: "policies_plain_language", group: CRITERIA, text: "The privacy policy and terms of service are linked, publicly available and in plain language" },
            ReviewItem { key: "medicare_population", group: CRITERIA, text: "The app serves a Medicare population, or a research exception applies" },
            ReviewItem { key: "business_model", group: CRITERIA, text: "The business model is clearly articulated" },
            ReviewItem { key: "data_protection", group: CRITERIA, text: "The organization demonstrates how it protects enrollees' data" },
        ];
        items.extend(PRIVACY_CHECKLIST.iter().map(|c| ReviewItem {
            key: Box::leak(format!("pp_{}", c.key).into_boxed_str()),
            group: PRIVACY,
            text: c.text,
        }));
        items.push(ReviewItem {
            key: "terms_consistent",
            group: TERMS,
            text: "The terms of service do not contradict, negate or detract from the privacy policy",
        });
        items
    })
}

pub fn item(key: &str) -> Option<&'static ReviewItem> {
    items().iter().find(|i| i.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checklist_covers_the_criteria_every_policy_item_and_the_terms() {
        assert_eq!(items().len(), 6 + 11 + 1);
        let mut keys: Vec<_> = items().iter().map(|i| i.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), items().len(), "keys are unique");
        assert!(item("pp_breach").is_some());
        assert!(item("terms_consistent").is_some());
    }
}
