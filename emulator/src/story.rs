//! The text the emulated model "generates": a deterministic little story about what was asked,
//! so tests can check that the caller's subject made it through and the answer made it back; or,
//! when the last user message carries [`ECHO_MARKER`], the conversation it was sent, so a test can
//! prove that every earlier turn reached Bedrock.

use crate::converse::Turn;

/// The word (whole, like a `fault_<name>` marker) that makes the model answer with the
/// conversation it was sent instead of a story: `[system] … [user] … [assistant] … [user] …`.
pub const ECHO_MARKER: &str = "echo_conversation";

/// Whether `prompt` (the last user message) carries [`ECHO_MARKER`] as a word of its own.
pub fn asks_for_echo(prompt: &str) -> bool {
    prompt.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|word| word == ECHO_MARKER)
}

/// What an echo answers, as tokens like [`tokens`]': the system text, then each message's, each
/// labelled with its role in brackets, whitespace collapsed.
pub fn echo_tokens(system: Option<&str>, messages: &[Turn]) -> Vec<String> {
    let labelled = system
        .map(|text| ("system", text))
        .into_iter()
        .chain(messages.iter().map(|turn| (turn.role.as_str(), turn.text.as_str())));
    labelled
        .flat_map(|(role, text)| std::iter::once(format!("[{role}]")).chain(text.split_whitespace().map(str::to_owned)))
        .enumerate()
        .map(|(i, word)| if i == 0 { word } else { format!(" {word}") })
        .collect()
}

/// What a prompt asks a story about: the text after the last `about:` (trimmed), or the quoted
/// text a prompt ends with (the handler's default template quotes the topic), otherwise the
/// prompt's last word without trailing punctuation; whitespace is collapsed because tokens are
/// words joined by single spaces.
pub fn subject_of(prompt: &str) -> String {
    let quoted = prompt.trim_end().strip_suffix('"').and_then(|rest| rest.rsplit_once('"')).map(|(_, topic)| topic);
    let subject = match (prompt.rfind("about:"), quoted) {
        (Some(at), _) => prompt[at + "about:".len()..].split_whitespace().collect::<Vec<_>>().join(" "),
        (None, Some(topic)) => topic.split_whitespace().collect::<Vec<_>>().join(" "),
        (None, None) => prompt
            .split_whitespace()
            .next_back()
            .unwrap_or_default()
            .trim_end_matches(|c: char| c.is_ascii_punctuation())
            .to_owned(),
    };
    if subject.is_empty() { "nothing in particular".to_owned() } else { subject }
}

/// The story as model tokens: exactly `words` words, the first bare and each later one with its
/// leading space, so that concatenating the tokens gives the text.
pub fn tokens(subject: &str, words: usize) -> Vec<String> {
    as_tokens(story_words(subject).take(words))
}

/// The opening and one chapter as tokens like [`tokens`]': the whole story, ending with a full stop.
pub fn whole_story(subject: &str) -> Vec<String> {
    let sentences = std::iter::once(OPENING).chain(SENTENCES).map(|sentence| sentence.replace("{}", subject));
    as_tokens(sentences.flat_map(|sentence| sentence.split_whitespace().map(str::to_owned).collect::<Vec<_>>()))
}

/// Words as tokens: the first bare, each later one with its leading space.
fn as_tokens(words: impl Iterator<Item = String>) -> Vec<String> {
    words.enumerate().map(|(i, word)| if i == 0 { word } else { format!(" {word}") }).collect()
}

/// What a thinking model "thinks" before telling the story, as tokens like [`tokens`]' (words
/// with their leading space, the first without).
pub fn reasoning_tokens(subject: &str) -> Vec<String> {
    let thought = format!("The user wants a story about {subject}. A baker, a journey and a warm ending will do.");
    thought
        .split_whitespace()
        .enumerate()
        .map(|(i, word)| if i == 0 { word.to_owned() } else { format!(" {word}") })
        .collect()
}

const OPENING: &str = "Once upon a time there was a story about {}.";

/// Sentences told in turn after the opening; long stories repeat them in numbered chapters, so a
/// benchmark can ask for thousands of words without the text becoming one repeated phrase.
const SENTENCES: [&str; 8] = [
    "Every morning {} woke before the sun and listened to the wind.",
    "The people of the valley said nobody knew more about {} than the old baker.",
    "One day a letter arrived, and it was all about {}.",
    "So the baker packed bread and set off across the hills.",
    "Rain fell, rivers rose, and still the road went on.",
    "At the end of the road waited {}, patient and bright.",
    "They talked until the stars came out and the fire burned low.",
    "And that is why, to this day, the valley still sings about {}.",
];

fn story_words(subject: &str) -> impl Iterator<Item = String> + '_ {
    let chapters = (1usize..).flat_map(|chapter| {
        let heading = (chapter > 1).then(|| format!("Chapter {chapter}."));
        heading.into_iter().chain(SENTENCES.iter().map(|sentence| sentence.replace("{}", subject)))
    });
    std::iter::once(OPENING.replace("{}", subject))
        .chain(chapters)
        .flat_map(|sentence| sentence.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_is_the_text_after_the_last_about_marker() {
        assert_eq!(subject_of("Write a story. about: the  tide about:  a brave toaster "), "a brave toaster");
        assert_eq!(subject_of("Tell me a story about dragons."), "dragons");
        assert_eq!(subject_of("Tell me a story about the topic in quotes: \"sea  otters\""), "sea otters");
        assert_eq!(subject_of("   "), "nothing in particular");
    }

    #[test]
    fn tokens_are_words_with_leading_spaces_and_mention_the_subject() {
        let tokens = tokens("lighthouses", 60);
        assert_eq!(tokens.len(), 60);
        assert_eq!(tokens[0], "Once");
        assert!(tokens[1..].iter().all(|t| t.starts_with(' ') && !t[1..].contains(' ')));
        assert!(tokens.concat().starts_with("Once upon a time there was a story about lighthouses."));
    }

    #[test]
    fn the_whole_story_is_the_opening_and_one_chapter_ending_with_a_full_stop() {
        let text = whole_story("sea otters").concat();
        assert!(text.starts_with("Once upon a time there was a story about sea otters. Every morning"));
        assert!(text.ends_with("the valley still sings about sea otters."));
        assert!(!text.contains("Chapter"));
        assert_eq!(whole_story("CATS").len(), 105);
    }

    #[test]
    fn the_echo_marker_is_a_whole_word() {
        assert!(asks_for_echo("What is my name? echo_conversation"));
        assert!(asks_for_echo("(echo_conversation)"));
        assert!(!asks_for_echo("no_echo_conversation here"));
        assert!(!asks_for_echo("echo_conversations"));
    }

    #[test]
    fn an_echo_labels_every_turn_with_its_role() {
        let turn = |role: &str, text: &str| Turn { role: role.into(), text: text.into() };
        let messages = [turn("user", "My name is\nOtto."), turn("assistant", "Hi Otto."), turn("user", "Name?")];
        assert_eq!(
            echo_tokens(Some("Be brief."), &messages).concat(),
            "[system] Be brief. [user] My name is Otto. [assistant] Hi Otto. [user] Name?"
        );
        assert_eq!(echo_tokens(None, &messages[..1]), ["[user]", " My", " name", " is", " Otto."]);
    }

    #[test]
    fn long_stories_are_numbered_chapters() {
        let text = tokens("owls", 5000).concat();
        assert_eq!(text.split(' ').count(), 5000);
        assert!(text.contains("Chapter 2.") && text.contains("Chapter 40."));
    }
}
