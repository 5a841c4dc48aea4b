//! Every email the portal sends, as plain text plus HTML in one shared layout.
use super::{Attachment, OutgoingEmail};

const PROGRAM: &str = "Blue Button 2.0 API";

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A paragraph or a call-to-action link in a message body.
enum Block<'a> {
    Para(String),
    Action {
        label: &'a str,
        url: &'a str,
    },
    /// A call to action whose link works once (it carries a secret token):
    /// shown like [`Block::Action`], and removed from the stored copy once
    /// the email is delivered.
    OneTimeAction {
        label: &'a str,
        url: &'a str,
    },
}

fn compose(to: &str, subject: String, greeting_name: &str, blocks: &[Block<'_>]) -> OutgoingEmail {
    let mut text = format!("Hello {greeting_name},\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><body style=\"font-family:Arial,sans-serif;color:#1b1b1b;line-height:1.5\">\
         <p style=\"font-size:18px;font-weight:bold;color:#112e51\">{PROGRAM}</p><p>Hello {},</p>",
        escape_html(greeting_name)
    );
    let mut one_time_links = Vec::new();
    for block in blocks {
        match block {
            Block::Para(p) => {
                text.push_str(p);
                text.push_str("\n\n");
                html.push_str(&format!("<p>{}</p>", escape_html(p)));
            }
            Block::Action { label, url } | Block::OneTimeAction { label, url } => {
                if matches!(block, Block::OneTimeAction { .. }) {
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
        }
    }
    text.push_str(&format!("— The {PROGRAM} team\n"));
    html.push_str(&format!("<p>— The {PROGRAM} team</p></body></html>"));
    OutgoingEmail {
        to: vec![to.to_string()],
        subject,
        text,
        html,
        attachments: vec![],
        one_time_links,
    }
}

pub fn verify_email(to: &str, name: &str, link: &str) -> OutgoingEmail {
    compose(
        to,
        format!("Confirm your email address for the {PROGRAM} portal"),
        name,
        &[
            Block::Para("Thank you for joining the developer sandbox. Please confirm your email address to finish setting up your account. Until you do, you cannot register apps.".into()),
            Block::OneTimeAction { label: "Confirm my email address", url: link },
            Block::Para("This link works once and expires in 7 days. If you did not create this account, you can ignore this message.".into()),
        ],
    )
}

pub fn password_reset(to: &str, name: &str, link: &str) -> OutgoingEmail {
    compose(
        to,
        format!("Reset your {PROGRAM} portal password"),
        name,
        &[
            Block::Para("Someone asked to reset the password for your account. If it was you, choose a new password here:".into()),
            Block::OneTimeAction { label: "Choose a new password", url: link },
            Block::Para("This link works once and expires in 1 hour. If you did not ask for this, ignore this message: your password has not changed.".into()),
        ],
    )
}

/// To an account's owner when someone signs up again with its email. The
/// sign-up page answers as for a new account, so that it cannot be used to
/// find out who has one; the owner learns of it here instead.
pub fn sign_up_with_existing_email(
    to: &str,
    name: &str,
    sign_in: &str,
    reset: &str,
) -> OutgoingEmail {
    compose(
        to,
        format!("Someone tried to create a {PROGRAM} portal account with your email"),
        name,
        &[
            Block::Para("Someone tried to create a new account with this email address, which already has an account. No new account was created and nothing about your account changed.".into()),
            Block::Para("If it was you, sign in instead:".into()),
            Block::Action { label: "Sign in", url: sign_in },
            Block::Para("If you forgot your password, you can choose a new one:".into()),
            Block::Action { label: "Reset your password", url: reset },
            Block::Para("If it was not you, you can ignore this message.".into()),
        ],
    )
}

pub fn set_password(to: &str, name: &str, role: &str, link: &str) -> OutgoingEmail {
    compose(
        to,
        format!("Your {PROGRAM} portal account is ready"),
        name,
        &[
            Block::Para(format!(
                "An administrator created a {role} account for you. Choose a password to start:"
            )),
            Block::OneTimeAction {
                label: "Choose my password",
                url: link,
            },
            Block::Para("This link works once and expires in 7 days.".into()),
        ],
    )
}

pub fn password_changed(to: &str, name: &str) -> OutgoingEmail {
    compose(
        to,
        format!("Your {PROGRAM} portal password was changed"),
        name,
        &[Block::Para("The password for your account was just changed and every other session was signed out. If this was not you, reset your password right away and tell us.".into())],
    )
}

pub fn account_locked(to: &str, name: &str, minutes: i64) -> OutgoingEmail {
    compose(
        to,
        format!("Sign-in to your {PROGRAM} portal account is paused"),
        name,
        &[Block::Para(format!("There were 5 failed sign-in attempts on your account, so sign-in is paused for {minutes} minutes. If this was not you, consider resetting your password."))],
    )
}

/// Two-step sign-in was turned on for the account.
pub fn second_factor_enabled(to: &str, name: &str) -> OutgoingEmail {
    compose(
        to,
        format!("Two-step sign-in is on for your {PROGRAM} portal account"),
        name,
        &[Block::Para("An authenticator app was set up for your account: from now on, signing in asks for a code from it after your password. Keep your recovery codes somewhere safe; each works once if you lose the device.".into()),
          Block::Para("If you did not do this, reset your password at once and tell the Blue Button 2.0 API team.".into())],
    )
}

/// The account's owner turned two-step sign-in off.
pub fn second_factor_disabled(to: &str, name: &str) -> OutgoingEmail {
    compose(
        to,
        format!("Two-step sign-in is off for your {PROGRAM} portal account"),
        name,
        &[Block::Para("Two-step sign-in was turned off for your account, so signing in asks only for your password. Its recovery codes no longer work.".into()),
          Block::Para("If you did not do this, reset your password at once and tell the Blue Button 2.0 API team.".into())],
    )
}

/// An administrator removed the account's authenticator (a lost device).
pub fn second_factor_reset(to: &str, name: &str) -> OutgoingEmail {
    compose(
        to,
        format!("Your {PROGRAM} portal two-step sign-in was reset"),
        name,
        &[Block::Para("An administrator removed the authenticator app and recovery codes from your account and signed you out everywhere. The next time you sign in, you will set up an authenticator app again.".into()),
          Block::Para("If you did not ask for this, tell the Blue Button 2.0 API team.".into())],
    )
}

/// A recovery code was used to sign in.
pub fn recovery_code_used(to: &str, name: &str, left: usize) -> OutgoingEmail {
    compose(
        to,
        format!("A recovery code was used to sign in to your {PROGRAM} portal account"),
        name,
        &[Block::Para(format!("Someone signed in to your account with one of its recovery codes instead of the authenticator app. That code no longer works; {left} of your recovery codes are left.")),
          Block::Para("If this was not you, reset your password at once and tell the Blue Button 2.0 API team.".into())],
    )
}

/// To the applicant's contacts: their application was submitted; the summary PDF is attached.
pub fn application_submitted(
    to: Vec<String>,
    app_name: &str,
    version: i32,
    link: &str,
    summary: Attachment,
) -> OutgoingEmail {
    let mut email = compose(
        "",
        format!("Production access application received: {app_name} (version {version})"),
        "there",
        &[
            Block::Para(format!("We received version {version} of the production access application for {app_name}. A summary of every answer and the documents is attached as a PDF; keep it for your records.")),
            Block::Para("The Blue Button 2.0 API team responds within 24 business hours. You can follow the application, and see who it is waiting on, in the portal:".into()),
            Block::Action { label: "Follow the application", url: link },
        ],
    );
    email.to = to;
    email.attachments.push(summary);
    email
}

/// A step in an application's review, to everyone on one side of it.
pub fn application_update(
    to: Vec<String>,
    app_name: &str,
    subject: &str,
    paragraphs: &[String],
    link: &str,
) -> OutgoingEmail {
    let mut blocks: Vec<Block<'_>> = paragraphs.iter().map(|p| Block::Para(p.clone())).collect();
    blocks.push(Block::Action {
        label: "Open the application",
        url: link,
    });
    let mut email = compose("", format!("{subject}: {app_name}"), "there", &blocks);
    email.to = to;
    email
}

/// To reviewers: an application is waiting for them.
pub fn application_waiting(
    to: Vec<String>,
    app_name: &str,
    organization: &str,
    version: i32,
    link: &str,
) -> OutgoingEmail {
    let mut email = compose(
        "",
        format!("Application to review: {app_name} ({organization}), version {version}"),
        "reviewers",
        &[
            Block::Para(format!("{organization} submitted version {version} of the production access application for {app_name}. The first response is due within 24 business hours.")),
            Block::Action { label: "Open the application", url: link },
        ],
    );
    email.to = to;
    email
}

/// To reviewers: something is waiting for them.
pub fn reviewer_notice(
    to: Vec<String>,
    subject: &str,
    paragraph: &str,
    link: &str,
) -> OutgoingEmail {
    let mut email = compose(
        "",
        subject.to_string(),
        "reviewers",
        &[
            Block::Para(paragraph.to_string()),
            Block::Action {
                label: "Open it in the portal",
                url: link,
            },
        ],
    );
    email.to = to;
    email
}

/// To an app's point of contact only: the single-use link to the production
/// credentials. The link is the secret here; the credentials never travel by email.
pub fn credential_handoff(to: &str, app_name: &str, link: &str, expires: &str) -> OutgoingEmail {
    compose(
        to,
        format!("Your production credentials for {app_name} are ready"),
        "there",
        &[
            Block::Para(format!("The production credentials for {app_name} are ready to collect. The link below works once, until {expires}, and only while you are signed in to the portal as {to}.")),
            Block::Para("It shows the production client ID and client secret one time. Keep the secret somewhere safe: we store only a fingerprint of it and cannot show it again.".into()),
            Block::OneTimeAction { label: "Collect the production credentials", url: link },
            Block::Para("If the link has expired or was used by someone else, reply to this email: the team will send a new one and the old secret will stop working.".into()),
        ],
    )
}

/// To the developers concerned: API access was suspended, or restored.
pub fn suspension_notice(
    to: Vec<String>,
    what: &str,
    reason: &str,
    restored: bool,
) -> OutgoingEmail {
    let (subject, paragraphs) = if restored {
        (
            format!("API access restored: {what}"),
            vec![
                format!("The suspension of API access for {what} is lifted. Your app works again with its existing credentials; enrollees' permissions are as they were unless you were told they must re-authenticate."),
                format!("The suspension was for: {reason}"),
            ],
        )
    } else {
        (
            format!("API access suspended: {what}"),
            vec![
                format!("The Blue Button 2.0 API team suspended API access for {what}. Until it is restored, access tokens are refused with a message naming the suspension, new tokens are not issued and enrollees cannot connect the app."),
                format!("Reason: {reason}"),
                "You do not need to register again: access comes back with the same credentials when the suspension is lifted. We will email you then.".to_string(),
            ],
        )
    };
    let blocks: Vec<Block<'_>> = paragraphs.into_iter().map(Block::Para).collect();
    let mut email = compose("", subject, "there", &blocks);
    email.to = to;
    email
}

/// An incident notice from the team, to one contact.
pub fn incident_notice(to: &str, subject: &str, body: &str) -> OutgoingEmail {
    let blocks: Vec<Block<'_>> = body
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Block::Para(p.to_string()))
        .collect();
    compose(to, subject.to_string(), "there", &blocks)
}

/// To an app's owner: production access is up for renewal.
pub fn renewal_reminder(
    to: Vec<String>,
    app_name: &str,
    due: &str,
    days: i64,
    link: &str,
) -> OutgoingEmail {
    let mut email = compose(
        "",
        format!("Production access for {app_name} is up for renewal in {days} days"),
        "there",
        &[
            Block::Para(format!("Production access for {app_name} is due for renewal on {due}. Renewal includes the audit you agreed to when your app was approved: check that your privacy policy, terms of service and app still match what was approved, and tell us what changed.")),
            Block::Action { label: "Open the app in the portal", url: link },
        ],
    );
    email.to = to;
    email
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_links_are_escaped_in_html_but_plain_in_text() {
        let email = verify_email("a@b.gov", "<Eve & Co>", "http://x/verify?t=1&u=2");
        assert!(email.html.contains("&lt;Eve &amp; Co&gt;"));
        assert!(!email.html.contains("<Eve"));
        assert!(email.text.contains("Hello <Eve & Co>,"));
        assert!(email.text.contains("http://x/verify?t=1&u=2"));
        assert!(email.html.contains("http://x/verify?t=1&amp;u=2"));
    }
}
