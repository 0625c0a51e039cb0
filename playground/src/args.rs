//! Command-line arguments (clap): serving the page (the default) or one `invoke`.

use clap::{Args, Parser, Subcommand};
use http::Uri;

use crate::serve::DEFAULT_MAX_CONNECTIONS;

/// Serves the story page at http://127.0.0.1:PORT/ and forwards its requests to the stack's URL
/// TARGET, signed with SigV4 (service lambda) with the standard AWS credential chain (environment
/// variables with an optional session token, profiles, SSO, credential_process, ...), or with the
/// stack's API key or a Cognito ID token, streaming each response back as it arrives. Listens on
/// loopback only, and answers only its own page.
///
/// Prints `bedrock-playground listening on http://127.0.0.1:PORT/` once ready; stops on Ctrl-C.
#[derive(Debug, Parser)]
#[command(name = "bedrock-playground", args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: Serve,
}

/// What to do instead of serving the page.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sends one story request to the stack, authorized like the page's, and streams the answer
    /// to stdout as it arrives; the HTTP status goes to stderr on its own line, and an HTTP error
    /// exits 1.
    Invoke(Invoke),
}

/// Where requests go and how they are signed.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Upstream {
    /// The stack's URL: a Function URL (https://….lambda-url.REGION.on.aws/), an API Gateway
    /// stage (https://….execute-api.REGION.amazonaws.com/STAGE/), or a local one
    #[arg(long, required = true, value_name = "URL", value_parser = function_url)]
    pub target: Option<Uri>,
    /// The stack's region, to sign for or to sign in to [default: the chain's, e.g. AWS_REGION
    /// or the profile's]
    #[arg(long, value_name = "REGION", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub region: Option<String>,
    /// Send without signing (a stack with authType NONE)
    #[arg(long, conflicts_with_all = ["api_key_id", "cognito_client_id"])]
    pub unsigned: bool,
    /// Send the value of this API Gateway API key as x-api-key (a stack with authType API_KEY),
    /// fetched from API Gateway (GetApiKey with includeValue) with the AWS credential chain
    #[arg(long, value_name = "ID", conflicts_with = "cognito_client_id")]
    pub api_key_id: Option<String>,
    /// Send a Cognito ID token as Authorization (a stack with authType COGNITO): sign in to this
    /// user pool app client (USER_PASSWORD_AUTH) as BEDROCK_STREAMER_COGNITO_USERNAME with
    /// BEDROCK_STREAMER_COGNITO_PASSWORD
    #[arg(long, value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub cognito_client_id: Option<String>,
}

/// Serving the page (the default, without a subcommand).
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Serve {
    #[command(flatten)]
    pub upstream: Upstream,
    /// Port to listen on, 0 for any free one
    #[arg(long, value_name = "N", default_value_t = 8080)]
    pub port: u16,
    /// Connections open at once; more wait until one closes
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_connections: usize,
}

/// One story request (`invoke`).
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Invoke {
    #[command(flatten)]
    pub upstream: Upstream,
    /// The story type (sent as the JSON string `storyType`, whatever it holds)
    #[arg(long, value_name = "TEXT", default_value = "CATS", allow_hyphen_values = true)]
    pub story_type: String,
    /// A model alias of the stack's models (`model`); empty or absent: the stack's default
    #[arg(long, value_name = "ALIAS", default_value = "", allow_hyphen_values = true)]
    pub model: String,
    /// The Accept header: text/plain, application/x-ndjson or text/event-stream
    #[arg(long, value_name = "TYPE", default_value = "text/plain")]
    pub accept: String,
}

impl Upstream {
    /// The target (clap has checked it is there).
    pub fn target(&self) -> &Uri {
        self.target.as_ref().expect("--target is required")
    }
}

fn function_url(text: &str) -> Result<Uri, String> {
    let uri: Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
        return Err("must be an http:// or https:// URL".into());
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("bedrock-playground").chain(args.iter().copied()))
    }

    #[test]
    fn serving_reads_target_region_port_unsigned_and_the_cap() {
        let cli = parse(&["--target", "https://abc.lambda-url.us-west-2.on.aws/", "--region=us-west-2", "--port", "0"])
            .unwrap();
        assert!(cli.command.is_none());
        let serve = cli.serve;
        assert_eq!(serve.upstream.target(), "https://abc.lambda-url.us-west-2.on.aws/");
        assert_eq!(
            (serve.upstream.region.as_deref(), serve.port, serve.upstream.unsigned),
            (Some("us-west-2"), 0, false)
        );
        assert_eq!(serve.max_connections, DEFAULT_MAX_CONNECTIONS);
        let other = parse(&["--target=http://127.0.0.1:9000/x/", "--unsigned", "--max-connections", "4"]).unwrap();
        assert!(other.serve.upstream.unsigned);
        assert_eq!(other.serve.max_connections, 4);
    }

    #[test]
    fn a_missing_or_unusable_value_is_refused_naming_it() {
        let refused = |args: &[&str]| parse(args).unwrap_err().to_string();
        assert!(refused(&[]).contains("--target <URL>"));
        assert!(refused(&["--target", "ftp://example.com/"]).contains("http:// or https://"));
        assert!(refused(&["--target", "https://x/", "--port", "http"]).contains("--port"));
        assert!(refused(&["--target", "https://x/", "--max-connections", "0"]).contains("--max-connections"));
        assert!(refused(&["--target", "https://x/", "--region", ""]).contains("--region"));
        assert!(refused(&["--target"]).contains("a value is required"));
        assert_eq!(parse(&["--help"]).unwrap_err().kind(), clap::error::ErrorKind::DisplayHelp);
    }

    #[test]
    fn one_way_of_authorizing_at_most() {
        let cli = parse(&["--target=https://x/", "--api-key-id", "a1b2c3"]).unwrap();
        assert_eq!(cli.serve.upstream.api_key_id.as_deref(), Some("a1b2c3"));
        let cli = parse(&["invoke", "--target=https://x/", "--cognito-client-id=client"]).unwrap();
        let Some(Command::Invoke(invoke)) = cli.command else { panic!("invoke") };
        assert_eq!(invoke.upstream.cognito_client_id.as_deref(), Some("client"));
        for both in [
            ["--unsigned", "--api-key-id=a"],
            ["--unsigned", "--cognito-client-id=c"],
            ["--api-key-id=a", "--cognito-client-id=c"],
        ] {
            let error = parse(&[&["--target=https://x/"], &both[..]].concat()).unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict, "{both:?}");
        }
    }

    #[test]
    fn invoke_takes_its_story_type_and_model_whatever_they_hold() {
        let cli = parse(&["invoke", "--target", "https://x/", "--story-type", "-cats_", "--model=$(true)"]).unwrap();
        let Some(Command::Invoke(invoke)) = cli.command else { panic!("invoke") };
        assert_eq!((invoke.story_type.as_str(), invoke.model.as_str()), ("-cats_", "$(true)"));
        assert_eq!(invoke.accept, "text/plain");
        let defaults = parse(&["invoke", "--target", "https://x/"]).unwrap();
        let Some(Command::Invoke(invoke)) = defaults.command else { panic!("invoke") };
        assert_eq!((invoke.story_type.as_str(), invoke.model.as_str()), ("CATS", ""));
        assert!(parse(&["invoke"]).unwrap_err().to_string().contains("--target"));
    }
}
