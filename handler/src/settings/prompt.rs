//! Prompt templates: the configured text for a story type, with `{storyType}` substituted.

use std::collections::HashMap;

use crate::request::story_type;

const PLACEHOLDER: &str = "{storyType}";

/// A template known to contain the `{storyType}` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(String);

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TemplateError {
    /// The text is quoted as JSON, as the Pulumi program quotes it (config/settings-cases.json).
    #[error("must contain {PLACEHOLDER}, where the story type goes; got {}", serde_json::Value::from(.0.as_str()))]
    NoPlaceholder(String),
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        if text.contains(PLACEHOLDER) {
            Ok(Template(text.to_owned()))
        } else {
            Err(TemplateError::NoPlaceholder(text.to_owned()))
        }
    }

    pub fn render(&self, story_type: &str) -> String {
        self.0.replace(PLACEHOLDER, story_type)
    }
}

/// The default template plus per-story-type ones, looked up by [`story_type::key`] (case and
/// composition do not matter).
#[derive(Debug, Clone)]
pub struct Templates {
    default: Template,
    by_type: HashMap<String, Template>,
}

impl Templates {
    pub fn new(default: Template, by_type: HashMap<String, Template>) -> Self {
        let by_type = by_type.into_iter().map(|(k, v)| (story_type::key(&k), v)).collect();
        Templates { default, by_type }
    }

    /// The user prompt for a (validated) story type.
    pub fn render(&self, story_type: &str) -> String {
        self.by_type.get(&story_type::key(story_type)).unwrap_or(&self.default).render(story_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates(default: &str, by_type: &[(&str, &str)]) -> Templates {
        Templates::new(
            Template::parse(default).unwrap(),
            by_type.iter().map(|(k, v)| (k.to_string(), Template::parse(v).unwrap())).collect(),
        )
    }

    #[test]
    fn the_default_template_serves_story_types_without_their_own() {
        let t = templates("Tell me a very short story about: {storyType}", &[]);
        assert_eq!(t.render("CATS"), "Tell me a very short story about: CATS");
    }

    #[test]
    fn a_story_type_template_wins_and_matches_case_insensitively() {
        let t = templates("About {storyType}", &[("Cats", "A limerick on {storyType}, then {storyType} again")]);
        assert_eq!(t.render("CATS"), "A limerick on CATS, then CATS again");
        assert_eq!(t.render("dogs"), "About dogs");
    }

    #[test]
    fn a_story_type_template_matches_whatever_the_composition() {
        let t = templates("About {storyType}", &[("Café", "Coffee and {storyType}")]);
        assert_eq!(t.render("CAFE\u{301}"), "Coffee and CAFE\u{301}");
    }

    #[test]
    fn a_template_without_the_placeholder_is_refused() {
        assert_eq!(
            Template::parse("Tell me a story").unwrap_err().to_string(),
            "must contain {storyType}, where the story type goes; got \"Tell me a story\""
        );
    }

    #[test]
    fn other_braces_in_a_template_are_left_alone() {
        assert_eq!(Template::parse("{x} {storyType} {}").unwrap().render("owls"), "{x} owls {}");
    }
}
