//! `STREAMER_CORS_ALLOW_ORIGINS`: the browser origins whose pages may read the function's answers
//! on an API Gateway stack, where only the function can put CORS headers on a proxied answer. The
//! rule is the stack's (pulumi/settings.ts `corsOriginProblem` and the API Gateway checks of
//! `resourceProblems`); the shared cases are in `config/settings-cases.json`.

use url::Url;

/// Longest origin, in UTF-16 code units as the stack counts them (the Lambda API reference's limit
/// for a Function URL's `Cors.AllowOrigins`, read 2026-11, which the stack applies to every kind).
const MAX_ORIGIN_CHARS: usize = 253;

/// Which origins may read the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowOrigins {
    /// `*`: every origin, without credentials.
    Any,
    /// Exactly these, each `scheme://host[:port]` as a browser sends it in `Origin`.
    Listed(Vec<String>),
}

impl AllowOrigins {
    /// The origins of a comma-separated list (split on every `,` and nothing else, as the stack
    /// joins them), or the first problem with it, worded after the variable's name.
    pub fn parse(list: &str) -> Result<AllowOrigins, String> {
        let origins: Vec<&str> = list.split(',').collect();
        for origin in &origins {
            if let Some(problem) = origin_problem(origin) {
                return Err(format!("entry {} {problem}", quoted(origin)));
            }
            // API Gateway writes them into its preflight answer's template and header values.
            if *origin != "*" && origin.contains(['\'', '"', '$', '#', '\\']) {
                return Err(format!(
                    "entry {} holds ' \" $ # or \\, which API Gateway's preflight answer cannot carry",
                    quoted(origin)
                ));
            }
        }
        match origins.as_slice() {
            ["*"] => Ok(AllowOrigins::Any),
            _ if origins.contains(&"*") => Err("lists \"*\" beside other origins: on an API Gateway stack \"*\" must \
                 stand alone (it allows every origin, never with credentials); keep it alone or list the origins"
                .into()),
            _ => Ok(AllowOrigins::Listed(origins.into_iter().map(str::to_owned).collect())),
        }
    }

    /// Whether a page at `origin` (a request's `Origin` header) may read the answer.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            AllowOrigins::Any => true,
            AllowOrigins::Listed(origins) => origins.iter().any(|listed| listed == origin),
        }
    }
}

/// Why a browser would never send `origin`, or `None` when it can (or it is `*`). A browser's
/// `Origin` is `scheme://host[:port]`, lower case, without the default port, path or trailing
/// `/`: the WHATWG URL standard's serialization of an origin, which the `url` crate implements as
/// JavaScript's `URL` does.
fn origin_problem(origin: &str) -> Option<String> {
    let length = origin.encode_utf16().count();
    if !(1..=MAX_ORIGIN_CHARS).contains(&length) {
        return Some(format!("must be text of 1 to {MAX_ORIGIN_CHARS} characters"));
    }
    if origin == "*" {
        return None;
    }
    let not_an_origin = || Some("is not an origin: use scheme://host[:port], e.g. https://example.com".to_owned());
    let Ok(url) = Url::parse(origin) else { return not_an_origin() };
    let serialized = url.origin().ascii_serialization();
    if serialized == "null" {
        return not_an_origin();
    }
    // JavaScript's `search` and `hash` are empty for a bare `?` or `#`, as here.
    let extra = url.path() != "/"
        || url.query().is_some_and(|q| !q.is_empty())
        || url.fragment().is_some_and(|f| !f.is_empty())
        || !url.username().is_empty()
        || url.password().is_some();
    if extra {
        return Some(format!(
            "has more than scheme://host[:port] (a path, query or credentials); a browser sends only {serialized}"
        ));
    }
    if origin.ends_with('/') {
        return Some(format!("ends with \"/\", which a browser's Origin never does: use {serialized}"));
    }
    if origin != serialized {
        return Some(format!("is not written as a browser sends it (lower case, no default port): use {serialized}"));
    }
    None
}

/// A value as the stack quotes it (JSON.stringify).
fn quoted(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_origin_is_allowed_exactly_and_star_allows_every_one() {
        let listed = AllowOrigins::parse("https://a.example,http://localhost:3000").unwrap();
        assert!(listed.allows("https://a.example"));
        assert!(listed.allows("http://localhost:3000"));
        for other in ["https://b.example", "https://A.example", "https://a.example/", "null", ""] {
            assert!(!listed.allows(other), "{other:?}");
        }
        assert_eq!(AllowOrigins::parse("*"), Ok(AllowOrigins::Any));
        assert!(AllowOrigins::Any.allows("https://anyone.example"));
    }
}
