//! What changed between the approved and the proposed text of a policy, sentence
//! by sentence. Sentences, not lines: text extracted from a PDF breaks lines
//! wherever the layout did, so a re-wrapped paragraph would otherwise show as
//! wholly rewritten.
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{capture_diff_slices_deadline, group_diff_ops, Algorithm, DiffTag};

use crate::applications::analysis::split_sentences;

/// Unchanged sentences shown around each change.
const CONTEXT: usize = 1;
/// A pathological pair of documents gets a coarser diff, not a stuck request.
const DEADLINE: Duration = Duration::from_secs(2);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDiff {
    /// Runs of changes with their context; empty when the texts say the same.
    pub hunks: Vec<Vec<DiffLine>>,
    pub added: usize,
    pub removed: usize,
}

pub fn sentence_diff(old: &str, new: &str) -> TextDiff {
    let old = split_sentences(old);
    let new = split_sentences(new);
    let ops = capture_diff_slices_deadline(
        Algorithm::Myers,
        &old,
        &new,
        Some(Instant::now() + DEADLINE),
    );
    let (mut added, mut removed) = (0, 0);
    let hunks = group_diff_ops(ops, CONTEXT)
        .into_iter()
        .map(|group| {
            let mut lines = Vec::new();
            for op in group {
                let (tag, old_range, new_range) = op.as_tag_tuple();
                match tag {
                    DiffTag::Equal => {
                        lines.extend(old[old_range].iter().cloned().map(DiffLine::Same))
                    }
                    DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                        removed += old_range.len();
                        added += new_range.len();
                        lines.extend(old[old_range].iter().cloned().map(DiffLine::Removed));
                        lines.extend(new[new_range].iter().cloned().map(DiffLine::Added));
                    }
                }
            }
            lines
        })
        .filter(|lines| lines.iter().any(|l| !matches!(l, DiffLine::Same(_))))
        .collect();
    TextDiff {
        hunks,
        added,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_sentence_shows_as_removed_and_added_with_its_neighbours() {
        let old = "We collect your claims. We keep data for one year. We never sell data. You may revoke access.";
        let new = "We collect your claims. We keep data for seven years. We never sell data. You may revoke access.";
        let diff = sentence_diff(old, new);
        assert_eq!(diff.added, 1);
        assert_eq!(diff.removed, 1);
        assert_eq!(
            diff.hunks,
            vec![vec![
                DiffLine::Same("We collect your claims.".into()),
                DiffLine::Removed("We keep data for one year.".into()),
                DiffLine::Added("We keep data for seven years.".into()),
                DiffLine::Same("We never sell data.".into()),
            ]]
        );
    }

    #[test]
    fn rewrapped_lines_and_page_breaks_are_not_changes() {
        let old = "We never sell\nyour data. You may\nrevoke access at any time.";
        let new = "We never sell your data.\n\nYou may revoke access at any\ntime.";
        let diff = sentence_diff(old, new);
        assert!(diff.hunks.is_empty(), "{:?}", diff.hunks);
        assert_eq!((diff.added, diff.removed), (0, 0));
    }

    #[test]
    fn a_new_document_is_all_added() {
        let diff = sentence_diff("", "First. Second.");
        assert_eq!(diff.added, 2);
        assert_eq!(
            diff.hunks,
            vec![vec![
                DiffLine::Added("First.".into()),
                DiffLine::Added("Second.".into())
            ]]
        );
    }
}
