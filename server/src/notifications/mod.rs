//! Who hears of what, in which words, with which link (issue 20).
//!
//! A service says what happened, as a [`Notice`], inside its transaction;
//! it does not know the wording, the links or, where a rule decides it, the
//! recipients. [`Notifier::send`] picks the recipients ([`recipients`]),
//! renders the message from its template file (`templates/`, one per
//! notice) with its links ([`Links`], from `PUBLIC_URL`), and queues it in
//! the same transaction, so that mail goes out exactly when the change
//! commits. Dropping the notifier wakes the mail worker if anything was
//! queued, which is why no server function has to remember to.
pub mod links;
pub mod recipients;
mod render;

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use chrono::{DateTime, Utc};
use minijinja::context;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;
use tokio::sync::Notify;
use uuid::Uuid;

pub use links::Links;

use crate::{
    entities::access_request,
    mail::{self, Attachment},
};

/// An account's owner, as an email greets them.
#[derive(Clone, Copy, Debug)]
pub struct Person<'a> {
    pub email: &'a str,
    pub name: &'a str,
}

/// One line of a list of requested changes.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub text: String,
    pub comment: String,
}

/// What changed about a booked demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DemoChange {
    Booked,
    Moved,
    Cancelled,
}

/// What follows a held demo, as the applicant hears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterDemo {
    Concerns,
    AnotherDemo,
    /// A live app's re-review asked for the demo, and it passed.
    ReReviewDone,
    Decision,
}

/// Something that happened that somebody must hear about. Applications are
/// named by their row, so that [`recipients`] can find who hears about them.
#[derive(Debug)]
pub enum Notice<'a> {
    // To an account's owner.
    VerifyEmail {
        to: Person<'a>,
        token: &'a str,
    },
    PasswordReset {
        to: Person<'a>,
        token: &'a str,
    },
    SignUpWithExistingEmail {
        to: Person<'a>,
    },
    /// An admin created the account; `token` sets its first password.
    SetPassword {
        to: Person<'a>,
        role: &'a str,
        token: &'a str,
    },
    PasswordChanged {
        to: Person<'a>,
    },
    AccountLocked {
        to: Person<'a>,
        minutes: i64,
    },
    SecondFactorEnabled {
        to: Person<'a>,
    },
    SecondFactorDisabled {
        to: Person<'a>,
    },
    /// An admin removed the authenticator (a lost device).
    SecondFactorReset {
        to: Person<'a>,
    },
    RecoveryCodeUsed {
        to: Person<'a>,
        left: usize,
    },

    // About a production-access application, to its contacts unless named.
    /// With the summary PDF; also tells every reviewer (`ApplicationToReview`).
    ApplicationSubmitted {
        application: &'a access_request::Model,
        app: &'a str,
        version: i32,
        summary: Attachment,
    },
    /// To every reviewer.
    ApplicationToReview {
        application: &'a access_request::Model,
        app: &'a str,
        organization: &'a str,
        version: i32,
    },
    ReviewStarted {
        application: &'a access_request::Model,
        app: &'a str,
    },
    ChangesRequested {
        application: &'a access_request::Model,
        app: &'a str,
        items: Vec<Item>,
    },
    ReviewerWrote {
        application: &'a access_request::Model,
        app: &'a str,
        body: &'a str,
    },
    /// To the reviewer on it, or every reviewer.
    ApplicantWrote {
        application: &'a access_request::Model,
        app: &'a str,
        body: &'a str,
    },
    DemoInvited {
        application: &'a access_request::Model,
        app: &'a str,
        topics: Vec<&'a str>,
    },
    /// To the meeting's attendees, with its calendar invitation.
    DemoInvitation {
        application: &'a access_request::Model,
        app: &'a str,
        attendees: Vec<String>,
        change: DemoChange,
        starts_at: DateTime<Utc>,
        meeting_link: &'a str,
        ics: String,
    },
    DemoOutcome {
        application: &'a access_request::Model,
        app: &'a str,
        outcome: &'a str,
        next: AfterDemo,
        concerns: &'a str,
    },
    /// To the meeting's attendees.
    DemoReminder {
        application: &'a access_request::Model,
        app: &'a str,
        attendees: Vec<String>,
        starts_at: DateTime<Utc>,
        meeting_link: &'a str,
    },
    /// With the decision letter.
    Decision {
        application: &'a access_request::Model,
        app: &'a str,
        approved: bool,
        letter: Attachment,
    },
    /// To the reviewer on it, or every reviewer.
    ListingToReview {
        application: &'a access_request::Model,
        app: &'a str,
    },
    ListingChangesRequested {
        application: &'a access_request::Model,
        app: &'a str,
        items: Vec<Item>,
    },
    ListingApproved {
        application: &'a access_request::Model,
        app: &'a str,
        listed_as: &'a str,
    },
    /// To the point of contact alone: the single-use link to the credentials.
    CredentialsLink {
        contact: &'a str,
        app: &'a str,
        token: &'a str,
        expires_at: DateTime<Utc>,
    },
    /// `contact` is already masked.
    CredentialsSent {
        application: &'a access_request::Model,
        app: &'a str,
        contact: &'a str,
        expires_at: DateTime<Utc>,
        reissued: bool,
    },
    CredentialsCollected {
        application: &'a access_request::Model,
        app: &'a str,
        app_id: Uuid,
        by: &'a str,
        at: DateTime<Utc>,
    },
    PolicyChangeReceived {
        application: &'a access_request::Model,
        app: &'a str,
        what: &'a str,
        due_at: DateTime<Utc>,
    },
    /// To every reviewer.
    PolicyChangeToReview {
        change: Uuid,
        app: &'a str,
        what: &'a str,
        due_at: DateTime<Utc>,
    },
    /// `comment` is `None` when it was approved.
    PolicyChangeAnswered {
        application: &'a access_request::Model,
        app: &'a str,
        comment: Option<&'a str>,
    },
    /// To every admin.
    PolicyChangeEscalation {
        change: Uuid,
        app: &'a str,
        overdue: bool,
        submitted_at: DateTime<Utc>,
        due_at: DateTime<Utc>,
    },
    ReReviewRequired {
        application: &'a access_request::Model,
        app: &'a str,
        campaign: Uuid,
        title: &'a str,
        version: &'a str,
        deadline: DateTime<Utc>,
        demo_required: bool,
    },
    ReReviewDone {
        application: &'a access_request::Model,
        app: &'a str,
        title: &'a str,
        version: &'a str,
        lifted: bool,
    },
    ReReviewDue {
        application: &'a access_request::Model,
        app: &'a str,
        campaign: Uuid,
        title: &'a str,
        version: &'a str,
        deadline: DateTime<Utc>,
        days_left: i64,
    },

    // To addresses the service chose (an app's developers and support address).
    RenewalReminder {
        to: Vec<String>,
        app: &'a str,
        app_id: Uuid,
        due_at: DateTime<Utc>,
        days: i64,
    },
    Suspension {
        to: Vec<String>,
        what: &'a str,
        reason: &'a str,
        restored: bool,
    },
    /// Written by the team, to one contact.
    IncidentNotice {
        to: &'a str,
        subject: &'a str,
        body: &'a str,
    },
}

/// Who gets a notice, before the rules in [`recipients`] are applied.
enum Audience<'a> {
    Person(Person<'a>),
    Applicants(&'a access_request::Model),
    AssigneeOrReviewers(&'a access_request::Model),
    Reviewers,
    Admins,
    Addresses(Vec<String>),
}

impl Audience<'_> {
    async fn resolve(self, db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
        Ok(match self {
            Audience::Person(p) => recipients::once_each([p.email.to_string()]),
            Audience::Applicants(request) => recipients::applicants(db, request).await?,
            Audience::AssigneeOrReviewers(request) => {
                recipients::assignee_or_reviewers(db, request).await?
            }
            Audience::Reviewers => recipients::reviewers(db).await?,
            Audience::Admins => recipients::admins(db).await?,
            Audience::Addresses(to) => recipients::once_each(to),
        })
    }

    /// How the email greets its readers.
    fn greeting(&self) -> &str {
        match self {
            Audience::Person(p) => p.name,
            Audience::Reviewers | Audience::Admins => "reviewers",
            _ => "there",
        }
    }
}

/// A notice ready to render: its template, audience, context and attachments.
struct Draft<'a> {
    template: &'static str,
    audience: Audience<'a>,
    context: minijinja::Value,
    attachments: Vec<Attachment>,
}

impl<'a> Notice<'a> {
    fn draft(self, links: &Links) -> Draft<'a> {
        use Notice::*;
        let draft = |template, audience, context| Draft {
            template,
            audience,
            context,
            attachments: vec![],
        };
        match self {
            VerifyEmail { to, token } => draft(
                "verify_email",
                Audience::Person(to),
                context! { link => links.verify_email(token) },
            ),
            PasswordReset { to, token } => draft(
                "password_reset",
                Audience::Person(to),
                context! { link => links.reset_password(token) },
            ),
            SignUpWithExistingEmail { to } => draft(
                "sign_up_with_existing_email",
                Audience::Person(to),
                context! { sign_in => links.sign_in(), reset => links.forgot_password() },
            ),
            SetPassword { to, role, token } => draft(
                "set_password",
                Audience::Person(to),
                context! { role, link => links.reset_password(token) },
            ),
            PasswordChanged { to } => draft("password_changed", Audience::Person(to), context! {}),
            AccountLocked { to, minutes } => {
                draft("account_locked", Audience::Person(to), context! { minutes })
            }
            SecondFactorEnabled { to } => {
                draft("second_factor_enabled", Audience::Person(to), context! {})
            }
            SecondFactorDisabled { to } => {
                draft("second_factor_disabled", Audience::Person(to), context! {})
            }
            SecondFactorReset { to } => {
                draft("second_factor_reset", Audience::Person(to), context! {})
            }
            RecoveryCodeUsed { to, left } => draft(
                "recovery_code_used",
                Audience::Person(to),
                context! { left },
            ),

            ApplicationSubmitted {
                application,
                app,
                version,
                summary,
            } => Draft {
                attachments: vec![summary],
                ..draft(
                    "application_submitted",
                    Audience::Applicants(application),
                    context! { app, version, link => links.application(application.id) },
                )
            },
            ApplicationToReview {
                application,
                app,
                organization,
                version,
            } => draft(
                "application_to_review",
                Audience::Reviewers,
                context! { app, organization, version, link => links.review(application.id) },
            ),
            ReviewStarted { application, app } => draft(
                "review_started",
                Audience::Applicants(application),
                context! { app, link => links.application(application.id) },
            ),
            ChangesRequested {
                application,
                app,
                items,
            } => draft(
                "changes_requested",
                Audience::Applicants(application),
                context! { app, items, link => links.application(application.id) },
            ),
            ReviewerWrote {
                application,
                app,
                body,
            } => draft(
                "reviewer_wrote",
                Audience::Applicants(application),
                context! { app, body, link => links.application_section(application.id, "messages") },
            ),
            ApplicantWrote {
                application,
                app,
                body,
            } => draft(
                "applicant_wrote",
                Audience::AssigneeOrReviewers(application),
                context! { app, body, link => links.review_section(application.id, "messages") },
            ),
            DemoInvited {
                application,
                app,
                topics,
            } => draft(
                "demo_invited",
                Audience::Applicants(application),
                context! { app, topics, link => links.application_section(application.id, "demo") },
            ),
            DemoInvitation {
                application,
                app,
                attendees,
                change,
                starts_at,
                meeting_link,
                ics,
            } => Draft {
                attachments: vec![Attachment {
                    filename: "demo.ics".into(),
                    content_type: format!(
                        "text/calendar; method={}; charset=UTF-8",
                        if change == DemoChange::Cancelled {
                            "CANCEL"
                        } else {
                            "REQUEST"
                        }
                    ),
                    content: ics.into_bytes(),
                }],
                ..draft(
                    "demo_invitation",
                    Audience::Addresses(attendees),
                    context! { app, change, starts_at, meeting_link, link => links.application_section(application.id, "demo") },
                )
            },
            DemoOutcome {
                application,
                app,
                outcome,
                next,
                concerns,
            } => draft(
                "demo_outcome",
                Audience::Applicants(application),
                context! { app, outcome, next, concerns, link => links.application_section(application.id, "demo") },
            ),
            DemoReminder {
                application,
                app,
                attendees,
                starts_at,
                meeting_link,
            } => draft(
                "demo_reminder",
                Audience::Addresses(attendees),
                context! { app, starts_at, meeting_link, link => links.application_section(application.id, "demo") },
            ),
            Decision {
                application,
                app,
                approved,
                letter,
            } => Draft {
                attachments: vec![letter],
                ..draft(
                    "decision",
                    Audience::Applicants(application),
                    context! { app, approved, link => links.application(application.id) },
                )
            },
            ListingToReview { application, app } => draft(
                "listing_to_review",
                Audience::AssigneeOrReviewers(application),
                context! { app, link => links.review_section(application.id, "listing") },
            ),
            ListingChangesRequested {
                application,
                app,
                items,
            } => draft(
                "listing_changes_requested",
                Audience::Applicants(application),
                context! { app, items, link => links.listing(application.id) },
            ),
            ListingApproved {
                application,
                app,
                listed_as,
            } => draft(
                "listing_approved",
                Audience::Applicants(application),
                context! { app, listed_as, link => links.directory_entry(application.id) },
            ),
            CredentialsLink {
                contact,
                app,
                token,
                expires_at,
            } => draft(
                "credentials_link",
                Audience::Addresses(vec![contact.to_string()]),
                context! { app, contact, expires_at, link => links.handoff(token) },
            ),
            CredentialsSent {
                application,
                app,
                contact,
                expires_at,
                reissued,
            } => draft(
                "credentials_sent",
                Audience::Applicants(application),
                context! { app, contact, expires_at, reissued, link => links.application(application.id) },
            ),
            CredentialsCollected {
                application,
                app,
                app_id,
                by,
                at,
            } => draft(
                "credentials_collected",
                Audience::Applicants(application),
                context! { app, by, at, link => links.app(app_id) },
            ),
            PolicyChangeReceived {
                application,
                app,
                what,
                due_at,
            } => draft(
                "policy_change_received",
                Audience::Applicants(application),
                context! { app, what, due_at, link => links.policy_changes(application.id) },
            ),
            PolicyChangeToReview {
                change,
                app,
                what,
                due_at,
            } => draft(
                "policy_change_to_review",
                Audience::Reviewers,
                context! { app, what, due_at, link => links.review_policy_change(change) },
            ),
            PolicyChangeAnswered {
                application,
                app,
                comment,
            } => draft(
                "policy_change_answered",
                Audience::Applicants(application),
                context! { app, approved => comment.is_none(), comment, link => links.policy_changes(application.id) },
            ),
            PolicyChangeEscalation {
                change,
                app,
                overdue,
                submitted_at,
                due_at,
            } => draft(
                "policy_change_escalation",
                Audience::Admins,
                context! { app, overdue, submitted_at, due_at, link => links.review_policy_change(change) },
            ),
            ReReviewRequired {
                application,
                app,
                campaign,
                title,
                version,
                deadline,
                demo_required,
            } => draft(
                "re_review_required",
                Audience::Applicants(application),
                context! { app, title, version, deadline, demo_required, demo_link => links.application_section(application.id, "demo"), link => links.re_review(application.id, campaign) },
            ),
            ReReviewDone {
                application,
                app,
                title,
                version,
                lifted,
            } => draft(
                "re_review_done",
                Audience::Applicants(application),
                context! { app, title, version, lifted, link => links.application(application.id) },
            ),
            ReReviewDue {
                application,
                app,
                campaign,
                title,
                version,
                deadline,
                days_left,
            } => draft(
                "re_review_due",
                Audience::Applicants(application),
                context! { app, title, version, deadline, days_left, link => links.re_review(application.id, campaign) },
            ),

            RenewalReminder {
                to,
                app,
                app_id,
                due_at,
                days,
            } => draft(
                "renewal_reminder",
                Audience::Addresses(to),
                context! { app, due_at, days, link => links.app(app_id) },
            ),
            Suspension {
                to,
                what,
                reason,
                restored,
            } => draft(
                "suspension",
                Audience::Addresses(to),
                context! { what, reason, restored },
            ),
            IncidentNotice { to, subject, body } => draft(
                "incident_notice",
                Audience::Addresses(vec![to.to_string()]),
                context! { subject => subject.replace(['\r', '\n'], " "), body },
            ),
        }
    }
}

/// Renders notices and queues them; wakes the mail worker when dropped
/// after queuing anything. One per request or job run.
pub struct Notifier {
    links: Links,
    wake: Option<Arc<Notify>>,
    queued: AtomicBool,
}

impl Notifier {
    pub fn new(public_url: &str, wake: Arc<Notify>) -> Self {
        Self {
            links: Links::new(public_url),
            wake: Some(wake),
            queued: AtomicBool::new(false),
        }
    }

    /// For tools with no mail worker in the process (the command line,
    /// unit tests): queued mail waits for a worker's next poll.
    pub fn without_worker(public_url: &str) -> Self {
        Self {
            links: Links::new(public_url),
            wake: None,
            queued: AtomicBool::new(false),
        }
    }

    pub fn links(&self) -> &Links {
        &self.links
    }

    /// Queues `notice` through `db` (the caller's transaction). Returns the
    /// outbox id, or `None` when nobody is to hear of it (no reviewers yet,
    /// say).
    pub async fn send(
        &self,
        db: &impl ConnectionTrait,
        notice: Notice<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, DbErr> {
        let Draft {
            template,
            audience,
            context,
            attachments,
        } = notice.draft(&self.links);
        let greeting = audience.greeting().to_string();
        let to = audience.resolve(db).await?;
        if to.is_empty() {
            return Ok(None);
        }
        // Every notice is rendered by the snapshot tests, so this is a bug
        // in a template; it fails the request, and nothing is half-written.
        let mut email = render::render(template, context, to, &greeting)
            .map_err(|e| DbErr::Custom(format!("email template {template}: {e:#}")))?;
        email.attachments = attachments;
        let id = mail::enqueue(db, email, now).await?;
        self.queued.store(true, Ordering::Relaxed);
        Ok(Some(id))
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        // After the service returned, so its transaction has committed (or
        // rolled back: a wake for nothing costs one empty poll).
        if let (true, Some(wake)) = (*self.queued.get_mut(), &self.wake) {
            wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests;
