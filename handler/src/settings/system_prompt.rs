//! Where each of the stack's system prompts comes from: the stories' (`system_prompt`) and the
//! conversations' (`chat_system_prompt`). Each may be the variable's own text, a file in the
//! function's package (`<key>_file`: a path relative to the package root, `LAMBDA_TASK_ROOT`) or a
//! Systems Manager Parameter Store parameter (`<key>_parameter`: its name or ARN), at most one of
//! the three. A file or a parameter carries a prompt longer than Lambda's environment holds: all
//! of a function's variables together may have 4 KB (Lambda quotas, "Function configuration,
//! deployment, and execution", read 2026-12-07). Both are read once, at cold start; a prompt that
//! cannot be read, or is empty or longer than [`MAX_CHARS`], fails the start with one line naming
//! its variable, never leaving the function without the prompt it was given. The stack applies
//! the same rules (pulumi/settings.ts `systemPromptProblems`; cases in config/settings-cases.json).

use std::path::{Component, Path};

use super::{SettingsError, invalid, quoted, var_name};

/// The most characters (Unicode characters, not bytes) a system prompt read from a file or a
/// parameter may have (pulumi/settings.ts `MAX_SYSTEM_PROMPT_CHARS`): it goes with every request,
/// so it is kept to a part of the context window of the models the stack ships (Claude Haiku 4.5
/// and 5.5: 200,000 tokens), and a file picked by mistake fails the start instead of every call.
pub const MAX_CHARS: usize = 100_000;

/// Where one system prompt comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The variable's own text.
    Text(String),
    /// A file in the package: its path relative to the package root.
    File(String),
    /// A Parameter Store parameter: its name or ARN.
    Parameter(String),
}

/// The source of the prompt `key` (`system_prompt` or `chat_system_prompt`) from the values of
/// `<key>`, `<key>_file` and `<key>_parameter`; `None` when none is set.
pub fn source(
    key: &str,
    text: Option<&str>,
    file: Option<&str>,
    parameter: Option<&str>,
) -> Result<Option<Source>, SettingsError> {
    let file_key = format!("{key}_file");
    let parameter_key = format!("{key}_parameter");
    let set: Vec<&str> =
        [(key, text.is_some()), (file_key.as_str(), file.is_some()), (parameter_key.as_str(), parameter.is_some())]
            .into_iter()
            .filter_map(|(k, is_set)| is_set.then_some(k))
            .collect();
    if let [first, .., last] = set[..] {
        return Err(invalid(
            last,
            format!(
                "is set together with {}; the prompt comes from one of {}, {} and {}: set one",
                var_name(first),
                var_name(key),
                var_name(&file_key),
                var_name(&parameter_key)
            ),
        ));
    }
    if let Some(path) = file {
        if !is_package_path(path) {
            return Err(invalid(
                &file_key,
                format!(
                    "expected a file's path inside the package, relative to its root (such as \"system-prompt.txt\"); got {}",
                    quoted(path)
                ),
            ));
        }
        return Ok(Some(Source::File(path.to_owned())));
    }
    if let Some(name) = parameter {
        if !is_parameter(name) {
            return Err(invalid(
                &parameter_key,
                format!(
                    "expected a Parameter Store parameter's name (letters, digits and \"_.-\", a hierarchy's levels each \
                     after a \"/\") or its ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME); got {}",
                    quoted(name)
                ),
            ));
        }
        return Ok(Some(Source::Parameter(name.to_owned())));
    }
    Ok(text.map(|t| Source::Text(t.to_owned())))
}

/// The prompt in the package's file `path` (under `root`); `Err` is the problem.
pub fn read_file(root: &Path, path: &str) -> Result<String, String> {
    let full = root.join(path);
    let bytes = std::fs::read(&full).map_err(|e| format!("cannot read {}: {e}", full.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", full.display()))?;
    checked(text, &full.display().to_string())
}

/// `text` if it can be a system prompt: not blank, at most [`MAX_CHARS`]; `whence` names where it
/// came from in the problem.
pub fn checked(text: String, whence: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(format!("{whence} is empty; a system prompt needs text"));
    }
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(format!("{whence} holds {chars} characters, over the {MAX_CHARS} a system prompt may have"));
    }
    Ok(text)
}

/// A relative path that stays inside the package: no root, no `..`.
fn is_package_path(path: &str) -> bool {
    let path = Path::new(path);
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// The characters of a parameter name's level (PutParameter `Name`, SSM API reference, read
/// 2026-12-07: `a-zA-Z0-9_.-`, with `/` between a hierarchy's levels).
fn is_level(level: &str) -> bool {
    !level.is_empty() && level.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Longest parameter name, its hierarchy included (PutParameter `Name`: 1,011 characters).
const MAX_NAME_CHARS: usize = 1011;

/// A parameter's name (`prompt`, `/stories/prompt`) or ARN
/// (`arn:aws:ssm:us-east-1:123456789012:parameter/stories/prompt`), as SSM writes them.
fn is_parameter(text: &str) -> bool {
    let name = match text.strip_prefix("arn:") {
        Some(arn) => {
            let parts: Vec<&str> = arn.splitn(5, ':').collect();
            let [partition, "ssm", region, account, resource] = parts[..] else { return false };
            let region_ok =
                !region.is_empty() && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !partition.starts_with("aws")
                || !region_ok
                || account.len() != 12
                || !account.chars().all(|c| c.is_ascii_digit())
            {
                return false;
            }
            let Some(name) = resource.strip_prefix("parameter/") else { return false };
            // The ARN holds a hierarchy's name without its leading slash.
            return name.len() <= MAX_NAME_CHARS && name.split('/').all(is_level);
        }
        None => text,
    };
    let levels = if name.contains('/') { name.strip_prefix('/') } else { Some(name) };
    name.len() <= MAX_NAME_CHARS && levels.is_some_and(|levels| levels.split('/').all(is_level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_and_arns_as_ssm_writes_them() {
        for good in
            ["prompt", "/stories/prompt", "a.b-c_d", "arn:aws:ssm:us-east-1:123456789012:parameter/stories/prompt"]
        {
            assert!(is_parameter(good), "{good}");
        }
        for bad in [
            "",
            "stories/prompt",
            "/stories//prompt",
            "/stories/",
            "a b",
            "name:3",
            "arn:aws:ssm:us-east-1:123456789012:parameter/",
            "arn:aws:ssm:us-east-1:1234:parameter/p",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret/p",
        ] {
            assert!(!is_parameter(bad), "{bad}");
        }
        assert!(!is_parameter(&format!("/{}", "a".repeat(MAX_NAME_CHARS))));
    }

    #[test]
    fn a_package_path_stays_inside_the_package() {
        for good in ["system-prompt.txt", "prompts/story.md", "./p.txt"] {
            assert!(is_package_path(good), "{good}");
        }
        for bad in ["", "/etc/passwd", "../p.txt", "prompts/../../p.txt"] {
            assert!(!is_package_path(bad), "{bad}");
        }
    }

    #[test]
    fn a_prompt_is_not_blank_and_at_most_the_limit_in_characters() {
        assert_eq!(
            checked("é".repeat(MAX_CHARS), "x").map(|t| t.chars().count()),
            Ok(MAX_CHARS),
            "characters, not bytes"
        );
        assert_eq!(
            checked("a".repeat(MAX_CHARS + 1), "f.txt"),
            Err(format!("f.txt holds {} characters, over the {MAX_CHARS} a system prompt may have", MAX_CHARS + 1))
        );
        assert_eq!(checked(" \n".into(), "f.txt"), Err("f.txt is empty; a system prompt needs text".into()));
    }
}
