//! The life of a proposed policy change: its states and the only steps
//! between them, as `applications::state` is for applications. [`super::transition`]
//! is the one writer of the state column and applies this rule.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeState {
    Draft,
    Submitted,
    ChangesRequested,
    Approved,
    Withdrawn,
}

impl ChangeState {
    pub const ALL: [ChangeState; 5] = [
        ChangeState::Draft,
        ChangeState::Submitted,
        ChangeState::ChangesRequested,
        ChangeState::Approved,
        ChangeState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Draft => "draft",
            ChangeState::Submitted => "submitted",
            ChangeState::ChangesRequested => "changes_requested",
            ChangeState::Approved => "approved",
            ChangeState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            ChangeState::Draft => "Draft",
            ChangeState::Submitted => "Waiting for review",
            ChangeState::ChangesRequested => "Changes requested",
            ChangeState::Approved => "Approved",
            ChangeState::Withdrawn => "Withdrawn",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            ChangeState::Draft | ChangeState::Submitted | ChangeState::ChangesRequested
        )
    }

    /// The developer may upload and submit.
    pub fn developer_may_edit(self) -> bool {
        matches!(self, ChangeState::Draft | ChangeState::ChangesRequested)
    }
}

/// Something that moves a policy change on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeStep {
    /// The developer submits it (again, after changes were requested).
    Submit,
    Approve,
    RequestChanges,
    /// The developer takes back an open change.
    Withdraw,
}

impl ChangeState {
    /// Where `step` takes a change in this state, or `None` if it may not.
    pub fn apply(self, step: ChangeStep) -> Option<ChangeState> {
        use ChangeState::*;
        use ChangeStep::*;
        match (self, step) {
            (Draft | ChangesRequested, Submit) => Some(Submitted),
            (Submitted, Approve) => Some(Approved),
            (Submitted, RequestChanges) => Some(ChangesRequested),
            (Draft | Submitted | ChangesRequested, Withdraw) => Some(Withdrawn),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_parses_back_and_only_open_changes_move() {
        let steps = [
            ChangeStep::Submit,
            ChangeStep::Approve,
            ChangeStep::RequestChanges,
            ChangeStep::Withdraw,
        ];
        for state in ChangeState::ALL {
            assert_eq!(ChangeState::parse(state.as_str()), Some(state));
            let moves = steps.iter().filter(|s| state.apply(**s).is_some()).count();
            assert_eq!(moves > 0, state.is_open(), "{state:?}");
        }
        assert_eq!(ChangeState::parse("Approved"), None);
    }

    #[test]
    fn a_decision_needs_a_submitted_change_and_editing_a_reopened_one() {
        use ChangeState::*;
        assert_eq!(Submitted.apply(ChangeStep::Approve), Some(Approved));
        assert_eq!(Draft.apply(ChangeStep::Approve), None);
        assert_eq!(ChangesRequested.apply(ChangeStep::Approve), None);
        assert_eq!(
            Submitted.apply(ChangeStep::Submit),
            None,
            "no second submit"
        );
        for state in ChangeState::ALL {
            assert_eq!(
                state.apply(ChangeStep::Submit).is_some(),
                state.developer_may_edit(),
                "{state:?}"
            );
        }
    }
}
