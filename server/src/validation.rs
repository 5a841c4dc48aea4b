//! Field-level error messages, shown next to the field that caused them.
use std::collections::BTreeMap;

/// Field name → the first problem found with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` for `field` unless it already has one.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }

    /// `Ok(())` when empty, so validation can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<validator::ValidationErrors> for FieldErrors {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = FieldErrors::new();
        for (field, problems) in errors.field_errors() {
            if let Some(problem) = problems.first() {
                let message = problem
                    .message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| format!("Check this field ({}).", problem.code));
                out.add(&field, message);
            }
        }
        out
    }
}

/// An address we link people to from our pages (an app's website, privacy
/// policy or terms): parsed, `https://`, with a host and no user name or
/// password in it (`https://medicare.gov@evil.example` reads as one site and
/// goes to another). `javascript:` and `data:` are valid URLs to the
/// validator crate, so its `url` rule alone let them through.
/// Whether a typed date is in the years a person could mean (1900–9999).
/// chrono parses years up to ±262,143, where adding a few hours overflows;
/// refusing those at the edge keeps all date arithmetic in range.
pub fn is_plausible_date(date: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    (1900..=9999).contains(&date.year())
}

/// A phone number: 7 to 20 digits and nothing but spaces, `+-().x` around them.
pub fn is_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().x".contains(c));
    (7..=20).contains(&digits) && allowed && phone.len() <= 40
}

pub fn is_https_link(raw: &str) -> bool {
    url::Url::parse(raw.trim()).is_ok_and(|url| {
        url.scheme() == "https"
            && url.host_str().is_some_and(|host| !host.is_empty())
            && url.username().is_empty()
            && url.password().is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_https_links_are_accepted() {
        for good in [
            "https://app.example.com/privacy",
            " https://app.example/terms?v=2 ",
        ] {
            assert!(is_https_link(good), "{good}");
        }
        for bad in [
            "javascript:alert(document.cookie)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://app.example.com/privacy",
            "http://localhost:8080/privacy",
            "https://medicare.gov@evil.example/",
            "https://user:pass@app.example/",
            "ftp://app.example/",
            "//app.example/privacy",
            "app.example/privacy",
            "",
        ] {
            assert!(!is_https_link(bad), "{bad}");
        }
    }
}
