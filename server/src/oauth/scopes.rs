//! OAuth scopes: the FHIR resource scopes and OpenID Connect `profile`.
use std::fmt;

/// One scope this server grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Profile,
    Patient,
    Coverage,
    ExplanationOfBenefit,
}

impl Scope {
    /// Every scope, in the order responses list them.
    pub const ALL: [Scope; 4] = [
        Scope::Profile,
        Scope::Patient,
        Scope::Coverage,
        Scope::ExplanationOfBenefit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Profile => "profile",
            Scope::Patient => "patient/Patient.read",
            Scope::Coverage => "patient/Coverage.read",
            Scope::ExplanationOfBenefit => "patient/ExplanationOfBenefit.read",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Scopes that expose demographics; an enrollee may decline them.
    pub fn is_demographic(self) -> bool {
        matches!(self, Scope::Profile | Scope::Patient)
    }
}

/// A set of scopes, printed space-separated in a fixed order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(u8);

impl ScopeSet {
    fn bit(scope: Scope) -> u8 {
        1 << (scope as u8)
    }

    pub fn empty() -> Self {
        Self(0)
    }

    pub fn from_scopes(scopes: impl IntoIterator<Item = Scope>) -> Self {
        Self(scopes.into_iter().fold(0, |acc, s| acc | Self::bit(s)))
    }

    /// What an app may ever be granted: claims and coverage always, demographics
    /// only for apps registered as needing them.
    pub fn for_app(requires_demographics: bool) -> Self {
        let mut set = Self::from_scopes([Scope::Coverage, Scope::ExplanationOfBenefit]);
        if requires_demographics {
            set = set.union(Self::from_scopes([Scope::Profile, Scope::Patient]));
        }
        set
    }

    /// Parses a space-separated `scope` parameter. Scopes this server does not
    /// know (`openid`, `offline_access`, …) are returned separately.
    pub fn parse_lenient(text: &str) -> (Self, Vec<String>) {
        let mut set = Self::empty();
        let mut unknown = Vec::new();
        for word in text.split_whitespace() {
            match Scope::parse(word) {
                Some(scope) => set = set.union(Self::from_scopes([scope])),
                None => unknown.push(word.to_string()),
            }
        }
        (set, unknown)
    }

    /// Parses a stored scope string (written by this server).
    pub fn parse_stored(text: &str) -> Self {
        Self::parse_lenient(text).0
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & Self::bit(scope) != 0
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    pub fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The same set without the demographic scopes.
    pub fn without_demographics(self) -> Self {
        Self::from_scopes(self.iter().filter(|s| !s.is_demographic()))
    }

    pub fn has_demographics(self) -> bool {
        self.iter().any(Scope::is_demographic)
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_without_demographics_never_get_patient_or_profile() {
        let set = ScopeSet::for_app(false);
        assert!(!set.contains(Scope::Patient) && !set.contains(Scope::Profile));
        assert_eq!(
            set.to_string(),
            "patient/Coverage.read patient/ExplanationOfBenefit.read"
        );
        assert_eq!(
            ScopeSet::for_app(true).to_string(),
            "profile patient/Patient.read patient/Coverage.read patient/ExplanationOfBenefit.read"
        );
    }

    #[test]
    fn parsing_keeps_known_scopes_and_reports_the_rest() {
        let (set, unknown) =
            ScopeSet::parse_lenient("openid  patient/Patient.read profile patient/Patient.read");
        assert_eq!(set, ScopeSet::from_scopes([Scope::Patient, Scope::Profile]));
        assert_eq!(unknown, ["openid"]);
        assert_eq!(ScopeSet::parse_stored(&set.to_string()), set);
    }

    #[test]
    fn subsets_and_declining_demographics() {
        let all = ScopeSet::for_app(true);
        let claims = all.without_demographics();
        assert!(claims.is_subset_of(all) && !all.is_subset_of(claims));
        assert!(!claims.has_demographics() && all.has_demographics());
        assert!(ScopeSet::empty().is_subset_of(claims));
    }
}
