//! What reviewers and applicants learn from a policy's text before reading it:
//! size, readability (Flesch reading ease and Flesch–Kincaid grade level, as the
//! guide suggests) and, for each privacy-policy checklist item, where the text
//! seems to cover it.
use serde::{Deserialize, Serialize};

use super::form::PRIVACY_CHECKLIST;

/// Counts and scores of one text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readability {
    pub words: u32,
    pub sentences: u32,
    pub syllables: u32,
    /// 206.835 − 1.015 × words/sentence − 84.6 × syllables/word; higher is easier.
    pub reading_ease: f64,
    /// 0.39 × words/sentence + 11.8 × syllables/word − 15.59; a US school grade.
    pub grade_level: f64,
}

/// A checklist item and the first passage that seems to cover it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChecklistHint {
    pub item: String,
    pub excerpt: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub readability: Readability,
    /// Only for privacy policies.
    pub hints: Vec<ChecklistHint>,
}

/// Analyses a document's extracted text; `checklist` adds the privacy-policy hints.
pub fn analyse(text: &str, checklist: bool) -> Analysis {
    let hints = if checklist {
        let sentences = split_sentences(text);
        PRIVACY_CHECKLIST
            .iter()
            .map(|item| ChecklistHint {
                item: item.key.to_string(),
                excerpt: sentences
                    .iter()
                    .find(|s| {
                        let lower = s.to_lowercase();
                        item.keywords.iter().any(|k| lower.contains(k))
                    })
                    .map(|s| excerpt(s)),
            })
            .collect()
    } else {
        vec![]
    };
    Analysis {
        readability: readability(text),
        hints,
    }
}

pub fn readability(text: &str) -> Readability {
    let words: Vec<&str> = words(text).collect();
    let syllables: u32 = words.iter().map(|w| syllables(w)).sum();
    let sentences = count_sentences(text).max(1);
    let word_count = words.len() as u32;
    let (reading_ease, grade_level) = if word_count == 0 {
        (0.0, 0.0)
    } else {
        let per_sentence = word_count as f64 / sentences as f64;
        let per_word = syllables as f64 / word_count as f64;
        (
            206.835 - 1.015 * per_sentence - 84.6 * per_word,
            0.39 * per_sentence + 11.8 * per_word - 15.59,
        )
    };
    Readability {
        words: word_count,
        sentences,
        syllables,
        reading_ease,
        grade_level,
    }
}

/// Words: whitespace-separated tokens with at least one letter.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .filter(|t| t.chars().any(char::is_alphabetic))
}

/// Sentences end with `.`, `!` or `?` followed by whitespace or the end of the
/// text; a run like `?!` ends one sentence.
fn count_sentences(text: &str) -> u32 {
    let chars: Vec<char> = text.chars().collect();
    let mut count = 0;
    for (i, c) in chars.iter().enumerate() {
        if matches!(c, '.' | '!' | '?') {
            let next = chars.get(i + 1);
            let ends = match next {
                None => true,
                Some(n) => n.is_whitespace(),
            };
            if ends
                && chars[..i]
                    .iter()
                    .rev()
                    .take_while(|c| !c.is_whitespace())
                    .any(|c| c.is_alphanumeric())
            {
                count += 1;
            }
        }
    }
    count
}

pub(crate) fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(if c.is_whitespace() { ' ' } else { c });
        let boundary =
            matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace());
        if boundary || c == '\n' && chars.peek() == Some(&'\n') {
            push_sentence(&mut out, &current);
            current.clear();
        }
    }
    push_sentence(&mut out, &current);
    out
}

fn push_sentence(out: &mut Vec<String>, sentence: &str) {
    let collapsed = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    if !collapsed.is_empty() {
        out.push(collapsed);
    }
}

fn excerpt(sentence: &str) -> String {
    const MAX: usize = 240;
    if sentence.chars().count() <= MAX {
        sentence.to_string()
    } else {
        let cut: String = sentence.chars().take(MAX).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Syllables of an English word, estimated: groups of vowels (y counts), less
/// a silent final `e` (but not `-le`), at least one.
pub fn syllables(word: &str) -> u32 {
    let letters: Vec<char> = word
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    if letters.is_empty() {
        return 0;
    }
    let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut groups = 0;
    let mut previous_vowel = false;
    for &c in &letters {
        let v = vowel(c);
        if v && !previous_vowel {
            groups += 1;
        }
        previous_vowel = v;
    }
    let n = letters.len();
    if n > 2
        && letters[n - 1] == 'e'
        && !vowel(letters[n - 2])
        && (letters[n - 2] != 'l' || vowel(letters[n - 3]))
        && groups > 1
    {
        groups -= 1;
    }
    groups.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_of_common_words() {
        for (word, expected) in [
            ("cat", 1),
            ("the", 1),
            ("share", 1),
            ("table", 2),
            ("data", 2),
            ("privacy", 3),
            ("Medicare", 3),
            ("information", 4),
            ("you.", 1),
        ] {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn one_short_sentence_matches_the_formulas_by_hand() {
        // 6 words, 1 sentence, 6 syllables:
        // ease  = 206.835 − 1.015 × 6 − 84.6 × 1 = 116.145
        // grade = 0.39 × 6 + 11.8 × 1 − 15.59 = −1.45
        let r = readability("The cat sat on the mat.");
        assert_eq!((r.words, r.sentences, r.syllables), (6, 1, 6));
        assert!(
            (r.reading_ease - 116.145).abs() < 1e-9,
            "{}",
            r.reading_ease
        );
        assert!((r.grade_level - -1.45).abs() < 1e-9, "{}", r.grade_level);
    }

    #[test]
    fn a_legal_sentence_scores_as_hard_reading() {
        // "We disclose information to affiliated organizations." then "You may object."
        // words 6 + 3 = 9, sentences 2, syllables:
        // we 1, disclose 2, information 4, to 1, affiliated 4, organizations 5 = 17; you 1, may 1, object 2 = 4 → 21
        // ease  = 206.835 − 1.015 × 4.5 − 84.6 × 21/9 = 206.835 − 4.5675 − 197.4 = 4.8675
        // grade = 0.39 × 4.5 + 11.8 × 21/9 − 15.59 = 1.755 + 27.5333 − 15.59 = 13.698
        let r = readability("We disclose information to affiliated organizations. You may object.");
        assert_eq!((r.words, r.sentences, r.syllables), (9, 2, 21));
        assert!((r.reading_ease - 4.8675).abs() < 1e-9, "{}", r.reading_ease);
        assert!(
            (r.grade_level - (1.755 + 11.8 * 21.0 / 9.0 - 15.59)).abs() < 1e-9,
            "{}",
            r.grade_level
        );
    }

    #[test]
    fn empty_text_scores_zero_instead_of_dividing_by_zero() {
        let r = readability("   ");
        assert_eq!((r.words, r.reading_ease, r.grade_level), (0, 0.0, 0.0));
    }

    #[test]
    fn hints_quote_the_passage_that_covers_an_item_and_admit_what_is_not_found() {
        let text = "Welcome to Acme.\n\nIf you revoke access, we delete your data within 30 days. We never sell data.";
        let analysis = analyse(text, true);
        let revoke = analysis.hints.iter().find(|h| h.item == "revoke").unwrap();
        assert_eq!(
            revoke.excerpt.as_deref(),
            Some("If you revoke access, we delete your data within 30 days.")
        );
        let breach = analysis.hints.iter().find(|h| h.item == "breach").unwrap();
        assert_eq!(breach.excerpt, None);
        assert!(analyse(text, false).hints.is_empty());
    }
}
