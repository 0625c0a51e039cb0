//! A stand-in for Systems Manager Parameter Store's `GetParameter` (the JSON 1.1 protocol: `POST /`
//! with `X-Amz-Target: AmazonSSM.GetParameter` and `{"Name", "WithDecryption"}`), so the handler's
//! system prompt from a parameter can be driven offline through `AWS_ENDPOINT_URL_SSM`. A parameter
//! is what a test set ([`crate::Emulator::set_parameter`]); one never set answers
//! `ParameterNotFound`, one a test denied ([`crate::Emulator::deny_parameter`]) answers
//! `AccessDeniedException`, as SSM does for a role without `ssm:GetParameter` on it. Shapes: SSM API
//! reference, GetParameter (request `Name` as a name or an ARN, `WithDecryption`; response
//! `Parameter` with `Name`, `Type`, `Value`, `Version`, `ARN`, `DataType`; errors as a 400 with
//! `__type`), read 2026-12-07.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

/// The `X-Amz-Target` of a `GetParameter` call.
pub(crate) const GET_PARAMETER_TARGET: &str = "AmazonSSM.GetParameter";

/// The account in the ARNs the stand-in answers with.
const ACCOUNT: &str = "123456789012";

/// One `GetParameter` call as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterRead {
    /// `Name`, as sent (a name or an ARN).
    pub name: String,
    /// `WithDecryption`, as sent (`false` when absent).
    pub with_decryption: bool,
}

/// The parameters a test set, and those the caller may not read.
#[derive(Debug, Default)]
pub(crate) struct Parameters {
    pub values: HashMap<String, String>,
    pub denied: HashSet<String>,
}

/// The status and JSON body answering a `GetParameter` body in `region`, and the read it records.
pub(crate) fn get_parameter(
    body: &[u8],
    region: &str,
    parameters: &Parameters,
) -> (u16, String, Option<ParameterRead>) {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (400, fault("ValidationException", "the request body is not JSON"), None);
    };
    let Some(sent) = request["Name"].as_str() else {
        return (400, fault("ValidationException", "Name is required"), None);
    };
    let read = ParameterRead { name: sent.to_owned(), with_decryption: request["WithDecryption"] == true };
    let name = name_of(sent, parameters);
    let arn = format!("arn:aws:ssm:{region}:{ACCOUNT}:parameter/{}", name.trim_start_matches('/'));
    if parameters.denied.contains(&name) {
        let message = format!(
            "User: arn:aws:sts::{ACCOUNT}:assumed-role/bedrock-streamer-role/bedrock-streamer is not authorized to perform: \
             ssm:GetParameter on resource: {arn} because no identity-based policy allows the ssm:GetParameter action"
        );
        return (400, fault("AccessDeniedException", &message), Some(read));
    }
    let Some(value) = parameters.values.get(&name) else {
        return (400, json!({"__type": "ParameterNotFound"}).to_string(), Some(read));
    };
    let parameter =
        json!({"Name": name, "Type": "String", "Value": value, "Version": 1, "ARN": arn, "DataType": "text"});
    (200, json!({"Parameter": parameter}).to_string(), Some(read))
}

/// A parameter's name from its name or ARN: an ARN holds the name without its leading slash
/// (`arn:…:parameter/a/b` is `/a/b`), so `…:parameter/p` is `p`, or `/p` when a test set or denied that.
fn name_of(sent: &str, parameters: &Parameters) -> String {
    let Some((_, tail)) = sent.split_once(":parameter/").filter(|_| sent.starts_with("arn:")) else {
        return sent.to_owned();
    };
    let slashed = format!("/{tail}");
    let known = |name: &String| parameters.values.contains_key(name) || parameters.denied.contains(name);
    if tail.contains('/') || known(&slashed) { slashed } else { tail.to_owned() }
}

fn fault(kind: &str, message: &str) -> String {
    json!({"__type": kind, "message": message}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters() -> Parameters {
        let mut p = Parameters::default();
        p.values.insert("/stories/prompt".into(), "Be kind.".into());
        p.denied.insert("/secret".into());
        p
    }

    #[test]
    fn a_set_parameter_is_found_by_name_or_arn_and_others_are_not_found_or_denied() {
        let (status, body, read) =
            get_parameter(br#"{"Name":"/stories/prompt","WithDecryption":true}"#, "us-east-1", &parameters());
        assert_eq!(status, 200);
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["Parameter"]["Value"], "Be kind.");
        assert_eq!(answer["Parameter"]["ARN"], "arn:aws:ssm:us-east-1:123456789012:parameter/stories/prompt");
        assert_eq!(read, Some(ParameterRead { name: "/stories/prompt".into(), with_decryption: true }));

        let by_arn = br#"{"Name":"arn:aws:ssm:us-east-1:123456789012:parameter/stories/prompt"}"#;
        assert_eq!(get_parameter(by_arn, "us-east-1", &parameters()).0, 200);

        let (status, body, _) = get_parameter(br#"{"Name":"/nope"}"#, "us-east-1", &parameters());
        assert_eq!((status, body.as_str()), (400, r#"{"__type":"ParameterNotFound"}"#));
        let (status, body, _) = get_parameter(br#"{"Name":"/secret"}"#, "us-east-1", &parameters());
        assert_eq!(status, 400);
        assert!(body.contains("AccessDeniedException") && body.contains("ssm:GetParameter"), "{body}");
    }
}
