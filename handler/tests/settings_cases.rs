//! The cases in `config/settings-cases.json`, which the Pulumi program's tests run too
//! (`pulumi/test/settings.test.ts`): what one side accepts the other accepts, in the same words.

use std::sync::LazyLock;

use bedrock_streamer::request::models::{Model, Models};
use bedrock_streamer::request::{self, Limits};
use bedrock_streamer::settings::Settings;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Cases {
    #[serde(rename = "storyTypes")]
    story_types: StoryTypes,
    settings: SettingsCases,
}

#[derive(Deserialize)]
struct SettingsCases {
    valid: Vec<ValidSettings>,
    invalid: Vec<InvalidSettings>,
}

#[derive(Deserialize)]
struct ValidSettings {
    settings: Map<String, Value>,
    /// Why only the stack runs this case (it holds a key the handler never sees).
    #[serde(rename = "stackOnly")]
    stack_only: Option<String>,
}

#[derive(Deserialize)]
struct InvalidSettings {
    settings: Map<String, Value>,
    key: String,
    problem: String,
    #[serde(rename = "stackOnly")]
    stack_only: Option<String>,
}

#[derive(Deserialize)]
struct StoryTypes {
    valid: Vec<Valid>,
    invalid: Vec<Invalid>,
}

#[derive(Deserialize)]
struct Valid {
    value: String,
    nfc: Option<String>,
}

#[derive(Deserialize)]
struct Invalid {
    value: String,
    problem: String,
}

fn cases() -> Cases {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/settings-cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the shared cases file")).expect("valid cases")
}

static ONE_MODEL: LazyLock<Models> = LazyLock::new(|| Models::single(Model::new("default", "m", 512, 2048)));
fn any() -> Limits<'static> {
    Limits { models: &ONE_MODEL, allowed_story_types: None }
}

fn request_with(story_type: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "storyType": story_type })).unwrap()
}

#[test]
fn every_valid_story_type_is_accepted_in_its_nfc() {
    let cases = cases().story_types.valid;
    assert!(!cases.is_empty());
    for case in cases {
        let req = request::parse(&request_with(&case.value), any()).unwrap_or_else(|e| panic!("{:?}: {e}", case.value));
        assert_eq!(req.story_type, case.nfc.unwrap_or(case.value));
    }
}

#[test]
fn every_invalid_story_type_is_a_400_naming_its_problem() {
    let cases = cases().story_types.invalid;
    assert!(!cases.is_empty());
    for case in cases {
        let err = request::parse(&request_with(&case.value), any()).expect_err(&case.value);
        assert_eq!((err.status().as_u16(), err.code()), (400, "invalid_story_type"), "{:?}", case.value);
        assert_eq!(err.to_string(), format!("storyType {}", case.problem), "{:?}", case.value);
    }
}

/// `STREAMER_<KEY>` for a config key.
fn var(key: &str) -> String {
    format!("STREAMER_{}", key.to_ascii_uppercase())
}

/// The environment a stack would set for `settings`: numbers as text, a list comma-separated, an
/// object as JSON text.
fn environment(settings: &Map<String, Value>) -> Vec<(String, String)> {
    settings
        .iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Array(items) => items.iter().map(|i| i.as_str().unwrap()).collect::<Vec<_>>().join(","),
                other => other.to_string(),
            };
            (var(key), text)
        })
        .collect()
}

/// `problem` with each `${other_key}` written as the handler names it.
fn in_handler_words(problem: &str) -> String {
    let mut out = problem.to_owned();
    while let Some(start) = out.find("${") {
        let end = start + out[start..].find('}').expect("a closing brace");
        let name = var(&out[start + 2..end]);
        out.replace_range(start..=end, &name);
    }
    out
}

#[test]
fn every_valid_setting_is_accepted() {
    let cases: Vec<_> = cases().settings.valid.into_iter().filter(|c| c.stack_only.is_none()).collect();
    assert!(!cases.is_empty());
    for case in cases {
        if let Err(e) = Settings::from_vars(environment(&case.settings)) {
            panic!("{:?} was refused: {e}", case.settings);
        }
    }
}

#[test]
fn every_invalid_setting_fails_the_start_with_one_line_naming_its_variable() {
    let cases: Vec<_> = cases().settings.invalid.into_iter().filter(|c| c.stack_only.is_none()).collect();
    assert!(!cases.is_empty());
    for case in cases {
        let message = Settings::from_vars(environment(&case.settings)).expect_err(&format!("{:?}", case.settings));
        let want = format!("{}: {}", var(&case.key), in_handler_words(&case.problem));
        assert_eq!(message.to_string(), want, "{:?}", case.settings);
    }
}
