//! The life of a production-access application: its states and the only
//! transitions between them. Anything else is an [`IllegalTransition`].
use std::fmt;

/// Where an application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessState {
    Draft,
    Submitted,
    InReview,
    ChangesRequested,
    DemoScheduled,
    DemoHeld,
    Approved,
    Denied,
    PostApprovalSubmitted,
    CredentialsIssued,
    Live,
    Suspended,
}

/// Something that moves an application on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The applicant submits (the first time, or after changes were requested).
    Submit,
    StartReview,
    RequestChanges,
    /// The applicant books a demo (again, after one that needs another).
    ScheduleDemo,
    /// The booked demo is called off before it happens.
    CancelDemo,
    RecordDemo,
    Approve,
    Deny,
    SubmitPostApproval,
    /// A reviewer sends the directory listing back for changes.
    ReturnListing,
    IssueCredentials,
    GoLive,
    Suspend,
    Reinstate,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an application that is {from} cannot be moved by {transition:?}")]
pub struct IllegalTransition {
    pub from: AccessState,
    pub transition: Transition,
}

/// Who has to act next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitingOn {
    Applicant,
    Reviewers,
    Nobody,
}

impl AccessState {
    pub const ALL: [AccessState; 12] = [
        AccessState::Draft,
        AccessState::Submitted,
        AccessState::InReview,
        AccessState::ChangesRequested,
        AccessState::DemoScheduled,
        AccessState::DemoHeld,
        AccessState::Approved,
        AccessState::Denied,
        AccessState::PostApprovalSubmitted,
        AccessState::CredentialsIssued,
        AccessState::Live,
        AccessState::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessState::Draft => "draft",
            AccessState::Submitted => "submitted",
            AccessState::InReview => "in_review",
            AccessState::ChangesRequested => "changes_requested",
            AccessState::DemoScheduled => "demo_scheduled",
            AccessState::DemoHeld => "demo_held",
            AccessState::Approved => "approved",
            AccessState::Denied => "denied",
            AccessState::PostApprovalSubmitted => "post_approval_submitted",
            AccessState::CredentialsIssued => "credentials_issued",
            AccessState::Live => "live",
            AccessState::Suspended => "suspended",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The state after `transition`, or why it is not allowed from here.
    pub fn apply(self, transition: Transition) -> Result<AccessState, IllegalTransition> {
        use AccessState as S;
        use Transition as T;
        let next = match (self, transition) {
            (S::Draft | S::ChangesRequested, T::Submit) => S::Submitted,
            (S::Submitted, T::StartReview) => S::InReview,
            (S::InReview | S::DemoHeld, T::RequestChanges) => S::ChangesRequested,
            (S::InReview | S::DemoHeld, T::ScheduleDemo) => S::DemoScheduled,
            (S::DemoScheduled, T::CancelDemo) => S::InReview,
            (S::DemoScheduled, T::RecordDemo) => S::DemoHeld,
            (S::DemoHeld, T::Approve) => S::Approved,
            (S::InReview | S::DemoHeld, T::Deny) => S::Denied,
            (S::Approved, T::SubmitPostApproval) => S::PostApprovalSubmitted,
            (S::PostApprovalSubmitted, T::ReturnListing) => S::Approved,
            (S::PostApprovalSubmitted, T::IssueCredentials) => S::CredentialsIssued,
            (S::CredentialsIssued, T::GoLive) => S::Live,
            (S::Live, T::Suspend) => S::Suspended,
            (S::Suspended, T::Reinstate) => S::Live,
            (from, transition) => return Err(IllegalTransition { from, transition }),
        };
        Ok(next)
    }

    /// Whether the applicant may change answers and documents.
    pub fn applicant_may_edit(self) -> bool {
        matches!(self, AccessState::Draft | AccessState::ChangesRequested)
    }

    /// Whether the applicant may propose privacy-policy or terms changes:
    /// only a live app has published ones to change.
    pub fn may_propose_policy_changes(self) -> bool {
        self == AccessState::Live
    }

    /// Whether a reviewer taking the application on also starts its review.
    pub fn taking_starts_review(self) -> bool {
        self.apply(Transition::StartReview).is_ok()
    }

    pub fn waiting_on(self) -> WaitingOn {
        match self {
            AccessState::Draft
            | AccessState::ChangesRequested
            | AccessState::Approved
            | AccessState::CredentialsIssued => WaitingOn::Applicant,
            AccessState::Submitted
            | AccessState::InReview
            | AccessState::DemoScheduled
            | AccessState::DemoHeld
            | AccessState::PostApprovalSubmitted => WaitingOn::Reviewers,
            AccessState::Denied | AccessState::Live | AccessState::Suspended => WaitingOn::Nobody,
        }
    }

    /// The state in words, for applicants.
    pub fn label(self) -> &'static str {
        match self {
            AccessState::Draft => "Draft",
            AccessState::Submitted => "Submitted",
            AccessState::InReview => "In review",
            AccessState::ChangesRequested => "Changes requested",
            AccessState::DemoScheduled => "Demo scheduled",
            AccessState::DemoHeld => "Demo held",
            AccessState::Approved => "Approved",
            AccessState::Denied => "Denied",
            AccessState::PostApprovalSubmitted => "Post-approval form submitted",
            AccessState::CredentialsIssued => "Production credentials issued",
            AccessState::Live => "Live",
            AccessState::Suspended => "Suspended",
        }
    }

    /// What happens next, for applicants.
    pub fn next_step(self) -> &'static str {
        match self {
            AccessState::Draft => "Complete every section, upload your privacy policy and terms of service, then review and submit.",
            AccessState::Submitted => "The Blue Button 2.0 API team will pick up your application; we respond within 24 business hours.",
            AccessState::InReview => "A reviewer is checking your answers and documents against the production-access criteria. If everything is in order, you will be invited to book a 1-hour demo.",
            AccessState::ChangesRequested => "Make the changes the reviewer asked for, then submit again. Your reviewer will see what changed.",
            AccessState::DemoScheduled => "Show the enrollee journey at the demo: account creation, authorization to share Medicare data, how data is displayed, how it is used, and any sharing with others.",
            AccessState::DemoHeld => "The team is reviewing the demo and will approve the application or follow up on concerns.",
            AccessState::Approved => "Fill in the post-approval form so that we can hand off your production credentials.",
            AccessState::Denied => "The decision letter explains the reasons. You may apply again once they are addressed.",
            AccessState::PostApprovalSubmitted => "The team will schedule the handoff of your production credentials.",
            AccessState::CredentialsIssued => "Collect your production credentials through the link we sent to the point of contact.",
            AccessState::Live => "Your app is in production. Submit any change to your privacy policy or terms for approval before rolling it out.",
            AccessState::Suspended => "Production access is suspended; the team has written to your contacts with the reasons.",
        }
    }
}

impl fmt::Display for AccessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names() {
        for state in AccessState::ALL {
            assert_eq!(AccessState::parse(state.as_str()), Some(state));
        }
        assert_eq!(AccessState::parse("approved "), None);
    }

    #[test]
    fn only_a_waiting_application_starts_its_review_when_taken_and_only_a_live_one_proposes_policy_changes(
    ) {
        for state in AccessState::ALL {
            assert_eq!(
                state.taking_starts_review(),
                state == AccessState::Submitted,
                "{state:?}"
            );
            assert_eq!(
                state.may_propose_policy_changes(),
                state == AccessState::Live,
                "{state:?}"
            );
        }
    }

    #[test]
    fn submit_is_legal_from_draft_and_after_changes_were_requested_only() {
        assert_eq!(
            AccessState::Draft.apply(Transition::Submit),
            Ok(AccessState::Submitted)
        );
        assert_eq!(
            AccessState::ChangesRequested.apply(Transition::Submit),
            Ok(AccessState::Submitted)
        );
        for state in AccessState::ALL {
            if !matches!(state, AccessState::Draft | AccessState::ChangesRequested) {
                assert_eq!(
                    state.apply(Transition::Submit),
                    Err(IllegalTransition {
                        from: state,
                        transition: Transition::Submit
                    }),
                    "{state:?}"
                );
            }
        }
    }

    #[test]
    fn after_approval_the_listing_can_go_back_and_forth_then_credentials_make_it_live() {
        use AccessState as S;
        assert_eq!(
            S::Approved.apply(Transition::SubmitPostApproval),
            Ok(S::PostApprovalSubmitted)
        );
        assert_eq!(
            S::PostApprovalSubmitted.apply(Transition::ReturnListing),
            Ok(S::Approved)
        );
        assert_eq!(
            S::PostApprovalSubmitted.apply(Transition::IssueCredentials),
            Ok(S::CredentialsIssued)
        );
        assert_eq!(S::CredentialsIssued.apply(Transition::GoLive), Ok(S::Live));
        assert_eq!(S::Live.apply(Transition::Suspend), Ok(S::Suspended));
        assert_eq!(S::Suspended.apply(Transition::Reinstate), Ok(S::Live));
        // Credentials only after the listing was submitted; no listing changes once live.
        assert!(S::Approved.apply(Transition::IssueCredentials).is_err());
        assert!(S::Live.apply(Transition::ReturnListing).is_err());
        assert!(S::CredentialsIssued
            .apply(Transition::ReturnListing)
            .is_err());
    }

    #[test]
    fn approval_needs_a_held_demo() {
        assert!(AccessState::InReview.apply(Transition::Approve).is_err());
        assert!(AccessState::DemoScheduled
            .apply(Transition::Approve)
            .is_err());
        assert_eq!(
            AccessState::DemoHeld.apply(Transition::Approve),
            Ok(AccessState::Approved)
        );
    }
}
