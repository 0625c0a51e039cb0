//! Command-line arguments.

use http::Uri;

pub const USAGE: &str = "\
Usage: bedrock-playground --target URL [--region REGION] [--port N] [--unsigned] [--max-connections N]

Serves the story page at http://127.0.0.1:PORT/ and forwards every other request to the Function
URL TARGET, signed with SigV4 (service lambda) with the standard AWS credential chain (environment
variables with an optional session token, profiles, SSO, credential_process, ...), and streams each
response back as it arrives. Listens on loopback only.

Options:
  --target URL       the Function URL (https://….lambda-url.REGION.on.aws/, or a local one)
  --region REGION    region to sign for (default: the chain's, e.g. AWS_REGION or the profile's)
  --port N           port to listen on, 0 for any free one (default 8080)
  --unsigned         forward without signing (a stack with authType NONE)
  --max-connections N  connections open at once; more wait until one closes (default 128)
  -h, --help         print this help

Prints `bedrock-playground listening on http://127.0.0.1:PORT/` once ready; stops on Ctrl-C.";

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub target: Uri,
    pub region: Option<String>,
    pub port: u16,
    pub unsigned: bool,
    pub max_connections: usize,
}

/// Reads `--flag value` or `--flag=value`; `Ok(None)` means help was asked for.
pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let (mut target, mut region, mut port, mut unsigned) = (None, None, 8080, false);
    let mut max_connections = crate::serve::DEFAULT_MAX_CONNECTIONS;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = |name: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--target" => target = Some(value("--target")?),
            "--region" => region = Some(value("--region")?),
            "--port" => {
                let text = value("--port")?;
                port = text.parse().map_err(|_| format!("--port must be a port number, got {text:?}"))?;
            }
            "--unsigned" => unsigned = true,
            "--max-connections" => {
                let text = value("--max-connections")?;
                max_connections = text
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("--max-connections must be a whole number above 0, got {text:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let target = target.ok_or("--target is required")?;
    let uri: Uri = target.parse().map_err(|e| format!("--target {target:?} is not a URL: {e}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
        return Err(format!("--target must be an http:// or https:// URL, got {target:?}"));
    }
    Ok(Some(Args { target: uri, region: region.filter(|r| !r.is_empty()), port, unsigned, max_connections }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(args: &[&str]) -> Result<Option<Args>, String> {
        parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn reads_target_region_port_and_unsigned() {
        let args =
            parse_all(&["--target", "https://abc.lambda-url.us-west-2.on.aws/", "--region=us-west-2", "--port", "0"])
                .unwrap()
                .unwrap();
        assert_eq!(args.target, "https://abc.lambda-url.us-west-2.on.aws/");
        assert_eq!((args.region.as_deref(), args.port, args.unsigned), (Some("us-west-2"), 0, false));
        assert!(parse_all(&["--target=http://127.0.0.1:9000/x/", "--unsigned"]).unwrap().unwrap().unsigned);
    }

    #[test]
    fn a_missing_or_unusable_target_is_refused() {
        assert_eq!(parse_all(&[]).unwrap_err(), "--target is required");
        assert!(parse_all(&["--target", "ftp://example.com/"]).unwrap_err().contains("http:// or https://"));
        assert!(parse_all(&["--target", "https://x/", "--port", "http"]).unwrap_err().contains("port number"));
        assert!(parse_all(&["--target"]).unwrap_err().contains("needs a value"));
        assert_eq!(parse_all(&["--help"]), Ok(None));
    }
}
