//! The cases in `config/settings-cases.json`, which the Pulumi program's tests run too
//! (`pulumi/test/settings.test.ts`): what one side accepts the other accepts, in the same words.

use bedrock_streamer::request::{self, Limits};
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    #[serde(rename = "storyTypes")]
    story_types: StoryTypes,
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

const ANY: Limits<'static> = Limits { max_tokens_cap: 2048, allowed_story_types: None };

fn request_with(story_type: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "storyType": story_type })).unwrap()
}

#[test]
fn every_valid_story_type_is_accepted_in_its_nfc() {
    let cases = cases().story_types.valid;
    assert!(!cases.is_empty());
    for case in cases {
        let req = request::parse(&request_with(&case.value), ANY).unwrap_or_else(|e| panic!("{:?}: {e}", case.value));
        assert_eq!(req.story_type, case.nfc.unwrap_or(case.value));
    }
}

#[test]
fn every_invalid_story_type_is_a_400_naming_its_problem() {
    let cases = cases().story_types.invalid;
    assert!(!cases.is_empty());
    for case in cases {
        let err = request::parse(&request_with(&case.value), ANY).expect_err(&case.value);
        assert_eq!((err.status().as_u16(), err.code()), (400, "invalid_story_type"), "{:?}", case.value);
        assert_eq!(err.to_string(), format!("storyType {}", case.problem), "{:?}", case.value);
    }
}
