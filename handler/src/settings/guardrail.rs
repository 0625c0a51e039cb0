//! The guardrail every ConverseStream call carries, if the stack has one: `STREAMER_GUARDRAIL_ID`,
//! `STREAMER_GUARDRAIL_VERSION` and `STREAMER_GUARDRAIL_STREAM_PROCESSING_MODE`. The stack applies
//! the same rules (pulumi/settings.ts `guardrailProblems`; cases in config/settings-cases.json).

use super::{SettingsError, invalid, quoted, var_name};

/// A Bedrock guardrail and how ConverseStream applies it to the stream (`guardrailConfig`:
/// GuardrailStreamConfiguration, Bedrock API reference, read 2026-12-07).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrail {
    /// `guardrailIdentifier`: the guardrail's id (`abc123def456`) or its ARN
    /// (`arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123def456`).
    pub id: String,
    /// `guardrailVersion`: a published version (`1` to `99999999`) or `DRAFT`.
    pub version: String,
    pub mode: StreamProcessingMode,
}

/// `streamProcessingMode` (Bedrock user guide, "Configure streaming response behavior", read
/// 2026-12-07): `sync` holds text back until the guardrail has assessed it (later first words, and
/// a blocked answer never reaches the caller); `async` sends text at once while the guardrail
/// assesses it beside (no delay, but text it later flags has already been sent, and it cannot mask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamProcessingMode {
    Sync,
    Async,
}

impl StreamProcessingMode {
    /// As ConverseStream and the setting spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamProcessingMode::Sync => "sync",
            StreamProcessingMode::Async => "async",
        }
    }
}

/// Longest `guardrailIdentifier` Bedrock takes.
const MAX_ID_LEN: usize = 2048;

/// The guardrail the settings name, if any: an id and a version together, or neither.
pub(super) fn guardrail(
    id: Option<&str>,
    version: Option<&str>,
    mode: &str,
) -> Result<Option<Guardrail>, SettingsError> {
    let mode = match mode.trim() {
        "sync" => StreamProcessingMode::Sync,
        "async" => StreamProcessingMode::Async,
        _ => {
            return Err(invalid(
                "guardrail_stream_processing_mode",
                format!("expected \"sync\" or \"async\"; got {}", quoted(mode)),
            ));
        }
    };
    let (id, version) = match (id, version) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(invalid(
                "guardrail_version",
                format!("must be set with {}: a version number or DRAFT", var_name("guardrail_id")),
            ));
        }
        (None, Some(_)) => {
            return Err(invalid("guardrail_id", format!("must be set with {}", var_name("guardrail_version"))));
        }
        (Some(id), Some(version)) => (id, version),
    };
    if !is_guardrail_id(id) {
        return Err(invalid(
            "guardrail_id",
            format!(
                "expected a guardrail id (lowercase letters and digits) or a guardrail ARN \
                 (arn:aws:bedrock:REGION:ACCOUNT:guardrail/ID); got {}",
                quoted(id)
            ),
        ));
    }
    if !is_guardrail_version(version) {
        return Err(invalid(
            "guardrail_version",
            format!("expected a version number from 1 to 99999999 or DRAFT; got {}", quoted(version)),
        ));
    }
    Ok(Some(Guardrail { id: id.to_owned(), version: version.to_owned(), mode }))
}

/// Bedrock's pattern for `guardrailIdentifier`: `[a-z0-9]+`, or
/// `arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+`.
fn is_guardrail_id(id: &str) -> bool {
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if id.len() > MAX_ID_LEN {
        return false;
    }
    let Some(rest) = id.strip_prefix("arn:") else { return plain(id) };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, region, account, resource] = parts[..] else { return false };
    let partition_ok =
        partition == "aws" || partition.strip_prefix("aws-").is_some_and(|p| !p.is_empty() && !p.contains(':'));
    partition_ok
        && service == "bedrock"
        && (1..=20).contains(&region.len())
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("guardrail/").is_some_and(plain)
}

/// Bedrock's pattern for `guardrailVersion`: `[1-9][0-9]{0,7}` or `DRAFT`.
fn is_guardrail_version(version: &str) -> bool {
    version == "DRAFT"
        || (version.len() <= 8
            && version.bytes().all(|b| b.is_ascii_digit())
            && version.bytes().next().is_some_and(|b| b != b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_arns_follow_bedrock_s_pattern() {
        assert!(is_guardrail_id("abc123def456"));
        assert!(is_guardrail_id("arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"));
        assert!(is_guardrail_id("arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:guardrail/abc123"));
        for bad in ["", "ABC", "abc-123", "arn:aws:bedrock:us-east-1:12345:guardrail/abc", "arn:aws:s3:::guardrail/a"] {
            assert!(!is_guardrail_id(bad), "{bad}");
        }
    }

    #[test]
    fn versions_are_numbers_from_1_or_draft() {
        for good in ["1", "12", "99999999", "DRAFT"] {
            assert!(is_guardrail_version(good), "{good}");
        }
        for bad in ["0", "01", "100000000", "draft", "1.0", "", "v1"] {
            assert!(!is_guardrail_version(bad), "{bad}");
        }
    }
}
