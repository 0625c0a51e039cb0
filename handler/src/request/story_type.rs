//! The storyType rule: words of any script, and nothing that could break out of where the template
//! puts them (no quote, bracket, line break or other punctuation, no control or invisible format
//! character). Words alone can still steer a model ("Ignore all previous instructions" passes), so
//! this is no defence against prompt injection: the default template presents the story type as a
//! quoted topic, and a public stack should accept only the story types it lists
//! (`STREAMER_ALLOWED_STORY_TYPES`, the stack's `allowedStoryTypes`).
//!
//! A storyType is read in Unicode Normalization Form C (so `cafe` + U+0301 and the precomposed
//! `café` are the same story type), then it may hold: letters (general category L), numbers (N),
//! combining marks (M) right after a letter, number or mark (Indic vowel signs, Thai tone marks,
//! accents), space, `-`, `_`, and the zero-width non-joiner and joiner (U+200C, U+200D) between
//! two letters, where Persian and Indic words need them. Nothing else: no punctuation, symbols,
//! controls or other format characters. 1 to [`MAX_CHARS`] characters after normalisation, at
//! least one a letter or number. The same rule is written for the Pulumi stack in
//! `pulumi/settings.ts`; both run the cases in `config/settings-cases.json`.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Most characters (Unicode scalar values, after NFC) a storyType may have.
pub const MAX_CHARS: usize = 64;

const ZERO_WIDTH_NON_JOINER: char = '\u{200C}';
const ZERO_WIDTH_JOINER: char = '\u{200D}';

/// Why a text is not a storyType. The messages name no subject, so each caller says which text
/// it checked ("storyType …", "STREAMER_ALLOWED_STORY_TYPES: entry \"…\": …").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoryTypeError {
    #[error("must be 1 to {MAX_CHARS} characters long; got {0}")]
    Length(usize),
    #[error("may contain only letters, digits, combining marks, space, '-' and '_'; found {}", shown(*.0))]
    Forbidden(char),
    #[error("has a combining mark ({}) with no letter or digit before it", code_point(*.0))]
    StrayMark(char),
    #[error("has a zero-width joiner or non-joiner ({}) that is not between two letters", code_point(*.0))]
    StrayJoiner(char),
    #[error("must contain a letter or digit")]
    NoLetterOrDigit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Number,
    Mark,
    Joiner,
    Punctuation,
    Other,
}

fn class(c: char) -> Class {
    match c {
        ' ' | '-' | '_' => Class::Punctuation,
        ZERO_WIDTH_NON_JOINER | ZERO_WIDTH_JOINER => Class::Joiner,
        _ => match c.general_category_group() {
            GeneralCategoryGroup::Letter => Class::Letter,
            GeneralCategoryGroup::Number => Class::Number,
            GeneralCategoryGroup::Mark => Class::Mark,
            _ => Class::Other,
        },
    }
}

/// The storyType in NFC, or why it is not one.
pub fn normalize(text: &str) -> Result<String, StoryTypeError> {
    let nfc: String = text.nfc().collect();
    let chars: Vec<char> = nfc.chars().collect();
    if chars.is_empty() || chars.len() > MAX_CHARS {
        return Err(StoryTypeError::Length(chars.len()));
    }
    // The class of the last character that is not a mark: what a mark or a joiner attaches to.
    let mut base: Option<Class> = None;
    for (i, &c) in chars.iter().enumerate() {
        match class(c) {
            Class::Mark if !matches!(base, Some(Class::Letter | Class::Number)) => {
                return Err(StoryTypeError::StrayMark(c));
            }
            Class::Mark => continue,
            Class::Joiner
                if base != Some(Class::Letter) || chars.get(i + 1).map(|&n| class(n)) != Some(Class::Letter) =>
            {
                return Err(StoryTypeError::StrayJoiner(c));
            }
            Class::Other => return Err(StoryTypeError::Forbidden(c)),
            other => base = Some(other),
        }
    }
    if !chars.iter().any(|&c| matches!(class(c), Class::Letter | Class::Number)) {
        return Err(StoryTypeError::NoLetterOrDigit);
    }
    Ok(nfc)
}

/// What story types are compared by (the allow-list, template keys): NFC and lower case, so
/// `Café`, `CAFÉ` and `cafe` + U+0301 are one story type.
pub fn key(story_type: &str) -> String {
    story_type.nfc().collect::<String>().to_lowercase().nfc().collect()
}

/// `U+200B`: how a character is named where showing it would not help (it is invisible).
fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// A character as a message shows it: itself in quotes when it can be seen, and its code point.
fn shown(c: char) -> String {
    match c.general_category_group() {
        GeneralCategoryGroup::Other | GeneralCategoryGroup::Separator | GeneralCategoryGroup::Mark => code_point(c),
        _ => format!("'{c}' ({})", code_point(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_every_script_are_story_types() {
        for word in ["CATS", "sea otters", "Hündchen_2-Katzen", "बिल्ली", "ไก่", "猫", "кошки", "قطط", "٣ قطط"]
        {
            assert_eq!(normalize(word).as_deref(), Ok(word), "{word}");
        }
    }

    #[test]
    fn a_combining_accent_is_composed() {
        assert_eq!(normalize("cafe\u{301}").as_deref(), Ok("caf\u{e9}"));
    }

    #[test]
    fn joiners_stand_between_letters() {
        // Persian "I want" with its zero-width non-joiner; Hindi "क्‍ष" with a joiner after the virama.
        assert!(normalize("می\u{200C}خواهم").is_ok());
        assert!(normalize("क्\u{200D}ष").is_ok());
        assert_eq!(normalize("\u{200C}cats"), Err(StoryTypeError::StrayJoiner('\u{200C}')));
        assert_eq!(normalize("cats\u{200D}"), Err(StoryTypeError::StrayJoiner('\u{200D}')));
        assert_eq!(normalize("cats \u{200D}dogs"), Err(StoryTypeError::StrayJoiner('\u{200D}')));
        assert_eq!(normalize("7\u{200C}8"), Err(StoryTypeError::StrayJoiner('\u{200C}')));
    }

    #[test]
    fn a_mark_needs_something_to_sit_on() {
        assert_eq!(normalize("\u{301}cats"), Err(StoryTypeError::StrayMark('\u{301}')));
        assert_eq!(normalize("cats \u{301}"), Err(StoryTypeError::StrayMark('\u{301}')));
        assert!(normalize("a\u{323}\u{302}").is_ok(), "marks may stack");
    }

    #[test]
    fn the_length_is_counted_after_normalisation() {
        assert!(normalize(&"e\u{301}".repeat(64)).is_ok(), "128 chars sent, 64 after NFC");
        assert_eq!(normalize(&"e".repeat(65)), Err(StoryTypeError::Length(65)));
    }

    #[test]
    fn problems_name_the_character() {
        assert_eq!(
            normalize("CATS.").unwrap_err().to_string(),
            "may contain only letters, digits, combining marks, space, '-' and '_'; found '.' (U+002E)"
        );
        assert_eq!(
            normalize("CATS\u{200B}").unwrap_err().to_string(),
            "may contain only letters, digits, combining marks, space, '-' and '_'; found U+200B"
        );
    }

    #[test]
    fn keys_ignore_case_and_composition() {
        assert_eq!(key("CAFE\u{301}"), key("café"));
        assert_eq!(key("Ärger"), "ärger");
    }
}
