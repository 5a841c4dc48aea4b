//! Turns a template file into an email: the first line is the subject, the
//! rest is paragraphs separated by blank lines, and `button(...)` or
//! `one_time_button(...)` makes a call to action. Every message shares one
//! layout, as plain text and as HTML, built here and nowhere else.
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::{html::escape as escape_html, mail::OutgoingEmail};

const PROGRAM: &str = "Blue Button 2.0 API";

/// Starts a call-to-action paragraph. Values from the template's context
/// have it removed (see `plain_values`), so that nothing a user writes —
/// a message to a reviewer, say — can turn into a button.
const ACTION: char = '\u{1}';

/// One file per message, named as `Notice::template` names it.
static TEMPLATES: &[(&str, &str)] = &[
    (
        "account_locked",
        include_str!("templates/account_locked.txt"),
    ),
    (
        "applicant_wrote",
        include_str!("templates/applicant_wrote.txt"),
    ),
    (
        "application_submitted",
        include_str!("templates/application_submitted.txt"),
    ),
    (
        "application_to_review",
        include_str!("templates/application_to_review.txt"),
    ),
    (
        "changes_requested",
        include_str!("templates/changes_requested.txt"),
    ),
    (
        "credentials_collected",
        include_str!("templates/credentials_collected.txt"),
    ),
    (
        "credentials_link",
        include_str!("templates/credentials_link.txt"),
    ),
    (
        "credentials_sent",
        include_str!("templates/credentials_sent.txt"),
    ),
    ("decision", include_str!("templates/decision.txt")),
    (
        "demo_invitation",
        include_str!("templates/demo_invitation.txt"),
    ),
    ("demo_invited", include_str!("templates/demo_invited.txt")),
    ("demo_outcome", include_str!("templates/demo_outcome.txt")),
    ("demo_reminder", include_str!("templates/demo_reminder.txt")),
    (
        "incident_notice",
        include_str!("templates/incident_notice.txt"),
    ),
    (
        "listing_approved",
        include_str!("templates/listing_approved.txt"),
    ),
    (
        "listing_changes_requested",
        include_str!("templates/listing_changes_requested.txt"),
    ),
    (
        "listing_to_review",
        include_str!("templates/listing_to_review.txt"),
    ),
    (
        "password_changed",
        include_str!("templates/password_changed.txt"),
    ),
    (
        "password_reset",
        include_str!("templates/password_reset.txt"),
    ),
    (
        "policy_change_answered",
        include_str!("templates/policy_change_answered.txt"),
    ),
    (
        "policy_change_escalation",
        include_str!("templates/policy_change_escalation.txt"),
    ),
    (
        "policy_change_received",
        include_str!("templates/policy_change_received.txt"),
    ),
    (
        "policy_change_to_review",
        include_str!("templates/policy_change_to_review.txt"),
    ),
    (
        "recovery_code_used",
        include_str!("templates/recovery_code_used.txt"),
    ),
    (
        "renewal_reminder",
        include_str!("templates/renewal_reminder.txt"),
    ),
    (
        "re_review_done",
        include_str!("templates/re_review_done.txt"),
    ),
    ("re_review_due", include_str!("templates/re_review_due.txt")),
    (
        "re_review_required",
        include_str!("templates/re_review_required.txt"),
    ),
    (
        "review_started",
        include_str!("templates/review_started.txt"),
    ),
    (
        "reviewer_wrote",
        include_str!("templates/reviewer_wrote.txt"),
    ),
    (
        "second_factor_disabled",
        include_str!("templates/second_factor_disabled.txt"),
    ),
    (
        "second_factor_enabled",
        include_str!("templates/second_factor_enabled.txt"),
    ),
    (
        "second_factor_reset",
        include_str!("templates/second_factor_reset.txt"),
    ),
    ("set_password", include_str!("templates/set_password.txt")),
    (
        "sign_up_with_existing_email",
        include_str!("templates/sign_up_with_existing_email.txt"),
    ),
    ("suspension", include_str!("templates/suspension.txt")),
    ("verify_email", include_str!("templates/verify_email.txt")),
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_formatter(plain_values);
    env.add_function("button", |label: String, url: String| {
        action("button", &label, &url)
    });
    env.add_function("one_time_button", |label: String, url: String| {
        action("once", &label, &url)
    });
    env.add_global("program", PROGRAM);
    // Times show in Eastern time with the zone; a date alone without it.
    env.add_filter("eastern", |at: String, pattern: String| {
        instant(&at).map(|at| crate::calendar::format_eastern(at, &pattern))
    });
    env.add_filter("eastern_date", |at: String| {
        instant(&at).map(|at| {
            at.with_timezone(&crate::calendar::eastern_offset(at))
                .format("%B %-d, %Y")
                .to_string()
        })
    });
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("email template {name} does not parse: {e}"));
    }
    env
});

/// A time as the context carries it (chrono's RFC 3339).
fn instant(at: &str) -> Result<DateTime<Utc>, minijinja::Error> {
    DateTime::parse_from_rfc3339(at)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))
}

fn action(kind: &str, label: &str, url: &str) -> Value {
    Value::from_safe_string(format!("{ACTION}{kind}{ACTION}{label}{ACTION}{url}"))
}

fn plain_values(
    out: &mut minijinja::Output<'_>,
    _state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text = value.to_string();
    let text = if value.is_safe() {
        text
    } else {
        text.replace(ACTION, "")
    };
    out.write_str(&text)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}

/// Renders template `name` with `context` for `to`, greeting them as `greeting`.
pub fn render(
    name: &str,
    context: Value,
    to: Vec<String>,
    greeting: &str,
) -> Result<OutgoingEmail, minijinja::Error> {
    let rendered = ENVIRONMENT.get_template(name)?.render(context)?;
    let (subject, body) = rendered.split_once('\n').unwrap_or((&rendered, ""));
    Ok(layout(to, subject.trim().to_string(), greeting, body))
}

/// The names of every template, for tests that render them all.
#[cfg(test)]
pub fn names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(name, _)| *name)
}

fn layout(to: Vec<String>, subject: String, greeting: &str, body: &str) -> OutgoingEmail {
    let mut text = format!("Hello {greeting},\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><body style=\"font-family:Arial,sans-serif;color:#1b1b1b;line-height:1.5\">\
         <p style=\"font-size:18px;font-weight:bold;color:#112e51\">{PROGRAM}</p><p>Hello {},</p>",
        escape_html(greeting)
    );
    let mut one_time_links = Vec::new();
    for paragraph in paragraphs(body) {
        match paragraph
            .strip_prefix(ACTION)
            .map(|p| p.splitn(3, ACTION).collect::<Vec<_>>())
        {
            Some(parts) if parts.len() == 3 => {
                let (kind, label, url) = (parts[0], parts[1], parts[2]);
                if kind == "once" {
                    one_time_links.push(url.to_string());
                }
                text.push_str(&format!("{label}: {url}\n\n"));
                html.push_str(&format!(
                    "<p><a href=\"{0}\" style=\"background:#005ea2;color:#fff;padding:10px 16px;text-decoration:none;border-radius:4px\">{1}</a></p>\
                     <p style=\"font-size:13px\">If the button does not work, copy this address into your browser:<br>{0}</p>",
                    escape_html(url),
                    escape_html(label)
                ));
            }
            _ => {
                let paragraph = paragraph.replace(ACTION, "");
                text.push_str(&paragraph);
                text.push_str("\n\n");
                html.push_str(&format!("<p>{}</p>", escape_html(&paragraph)));
            }
        }
    }
    text.push_str(&format!("— The {PROGRAM} team\n"));
    html.push_str(&format!("<p>— The {PROGRAM} team</p></body></html>"));
    OutgoingEmail {
        to,
        subject,
        text,
        html,
        attachments: vec![],
        one_time_links,
    }
}

/// The body's paragraphs: runs of lines between blank lines, each trimmed.
/// A line break inside a paragraph is kept (addresses, quoted messages).
fn paragraphs(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in body.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n").trim().to_string());
                current.clear();
            }
        } else {
            current.push(line.trim_end());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    use super::*;

    #[test]
    fn names_and_links_are_escaped_in_html_but_plain_in_text() {
        let email = render(
            "verify_email",
            context! { link => "http://x/verify?t=1&u=2" },
            vec!["a@b.gov".into()],
            "<Eve & Co>",
        )
        .unwrap();
        assert!(email.html.contains("&lt;Eve &amp; Co&gt;"));
        assert!(!email.html.contains("<Eve"));
        assert!(email.text.contains("Hello <Eve & Co>,"));
        assert!(email.text.contains("http://x/verify?t=1&u=2"));
        assert!(email.html.contains("http://x/verify?t=1&amp;u=2"));
        assert_eq!(email.one_time_links, ["http://x/verify?t=1&u=2"]);
    }

    #[test]
    fn what_a_user_writes_cannot_become_a_button() {
        let forged = format!("{ACTION}button{ACTION}Sign in again{ACTION}https://evil.example");
        let email = render(
            "applicant_wrote",
            context! { app => "Claims Tracker", body => forged, link => "https://portal/review/1" },
            vec!["r@cms.gov".into()],
            "there",
        )
        .unwrap();
        assert!(
            !email.html.contains("href=\"https://evil.example\""),
            "{}",
            email.html
        );
        assert!(email
            .text
            .contains("buttonSign in againhttps://evil.example"));
    }

    #[test]
    fn blank_lines_separate_paragraphs_and_single_breaks_stay() {
        assert_eq!(
            paragraphs("  one\n  two  \n\n\n three\n"),
            ["one\n  two", "three"]
        );
    }
}
