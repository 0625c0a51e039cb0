//! Where the function's AWS calls go and with which keys: the region, the credentials and the
//! endpoint settings, read once at cold start.
//!
//! A Lambda function finds all three in its environment: Lambda sets `AWS_REGION` and the
//! execution role's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` ("Defined
//! runtime environment variables", AWS Lambda Developer Guide,
//! <https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html>, read 2026-12-07), and
//! the SDKs' endpoint variables (`AWS_ENDPOINT_URL_<SERVICE ID>`, then `AWS_ENDPOINT_URL`) are how
//! the tests reach the emulator. So the default build reads the environment and nothing else, as
//! aws-config 1.13's `EnvironmentVariableCredentialsProvider` and region and endpoint providers
//! read it. aws-config's whole chain (profiles, SSO, `credential_process`, instance roles, web
//! identity) is in the `local-profiles` feature only (`just dev`): it, and the STS client, parsers
//! and SDK HTTP client it brings, are not in the deployed binary (docs/performance.md, step 12).

use std::collections::HashMap;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use super::ServiceName;

/// The region when none is set (as [`super::Endpoint`] had it with aws-config).
const DEFAULT_REGION: &str = "us-east-1";

/// The function's region, credentials and endpoints.
#[derive(Debug, Clone)]
pub struct Config {
    region: String,
    credentials: SharedCredentialsProvider,
    endpoints: Endpoints,
}

/// Where a service's endpoint setting comes from.
#[derive(Debug, Clone)]
enum Endpoints {
    /// One URL for every service (the emulator's).
    Fixed(String),
    /// The environment's `AWS_ENDPOINT_URL_<SERVICE ID>` and `AWS_ENDPOINT_URL` variables, by name
    /// (none when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`).
    Environment(HashMap<String, String>),
    /// aws-config's settings (the environment, then the profile's `endpoint_url` and `services`).
    #[cfg(feature = "local-profiles")]
    Sdk(Box<aws_config::SdkConfig>),
}

/// Why the function cannot make its AWS calls: it does not start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No access key id or no secret key: the function would send unsigned requests.
    #[error(
        "no AWS credentials in the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and \
         AWS_SESSION_TOKEN with temporary keys), as Lambda sets them from the function's role; profiles, \
         SSO, credential_process and instance roles are read only by a build with the `local-profiles` \
         feature (`just dev`)"
    )]
    NoCredentials,
    /// `AWS_USE_FIPS_ENDPOINT` or `AWS_USE_DUALSTACK_ENDPOINT` (or the profile's setting) asks
    /// for an endpoint this function does not build. The SDK's endpoint rules built them: for
    /// Bedrock, `bedrock-runtime-fips.<region>.amazonaws.com` and `bedrock-runtime.<region>.api.aws`
    /// (aws-sdk-bedrockruntime 1.153.0, `src/config/endpoint.rs`, read 2026-12-07); the handler's
    /// own calls go to the regional endpoint only, so it refuses rather than ignore the setting.
    #[error(
        "{0} is set, but this function calls only the services' regional endpoints \
         (https://<service>.<region>.amazonaws.com): unset it, or name the endpoint with \
         AWS_ENDPOINT_URL_<SERVICE ID> (such as AWS_ENDPOINT_URL_BEDROCK_RUNTIME)"
    )]
    UnsupportedEndpoint(&'static str),
}

/// The SDKs' settings for endpoint variants the function does not build.
const VARIANTS: [&str; 2] = ["AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"];

/// The SDKs' endpoint variables: `AWS_ENDPOINT_URL`, and `AWS_ENDPOINT_URL_<SERVICE ID>`.
const ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";

impl Config {
    /// This process's settings, as [`Config::from_vars`] reads them.
    #[cfg(not(feature = "local-profiles"))]
    pub async fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(std::env::vars())
    }

    /// aws-config's default chains (the `local-profiles` feature): region, credentials and
    /// endpoints from the environment first, then the profile, SSO, `credential_process`, web
    /// identity and the instance's role. Credentials are fetched on first use, so a chain that finds
    /// none fails the first call, not the start. Error: a FIPS or dual-stack endpoint asked for.
    #[cfg(feature = "local-profiles")]
    pub async fn from_env() -> Result<Config, ConfigError> {
        let sdk = profiles::load().await;
        if sdk.use_fips() == Some(true) {
            return Err(ConfigError::UnsupportedEndpoint(VARIANTS[0]));
        }
        if sdk.use_dual_stack() == Some(true) {
            return Err(ConfigError::UnsupportedEndpoint(VARIANTS[1]));
        }
        let region = sdk.region().map_or_else(|| DEFAULT_REGION.to_owned(), ToString::to_string);
        let credentials = sdk
            .credentials_provider()
            .unwrap_or_else(|| SharedCredentialsProvider::new(Credentials::new("", "", None, None, "none")));
        Ok(Config { region, credentials, endpoints: Endpoints::Sdk(Box::new(sdk)) })
    }

    /// The settings in `vars` (a process's environment), blank values unset, as aws-config 1.13
    /// reads them: the region from `AWS_REGION`, then `AWS_DEFAULT_REGION` (else `us-east-1`); the
    /// credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (or `SECRET_ACCESS_KEY`) and
    /// `AWS_SESSION_TOKEN`; the endpoints as [`Config::endpoint`] says. Errors: no access key id or
    /// secret key; `AWS_USE_FIPS_ENDPOINT` or `AWS_USE_DUALSTACK_ENDPOINT` set to anything but `false`.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.into_iter().filter(|(_, value)| !value.trim().is_empty()).collect();
        let set = |name: &str| vars.get(name).cloned();
        let asked = |name: &str| set(name).is_some_and(|value| !value.eq_ignore_ascii_case("false"));
        if let Some(variant) = VARIANTS.into_iter().find(|name| asked(name)) {
            return Err(ConfigError::UnsupportedEndpoint(variant));
        }
        let region =
            set("AWS_REGION").or_else(|| set("AWS_DEFAULT_REGION")).unwrap_or_else(|| DEFAULT_REGION.to_owned());
        let access_key_id = set("AWS_ACCESS_KEY_ID").ok_or(ConfigError::NoCredentials)?;
        let secret_access_key =
            set("AWS_SECRET_ACCESS_KEY").or_else(|| set("SECRET_ACCESS_KEY")).ok_or(ConfigError::NoCredentials)?;
        let session_token = set("AWS_SESSION_TOKEN").map(|token| token.trim().to_owned());
        let credentials = Credentials::new(access_key_id, secret_access_key, session_token, None, "Environment");
        let ignored = set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let endpoints = vars.into_iter().filter(|(name, _)| !ignored && name.starts_with(ENDPOINT_URL)).collect();
        Ok(Config {
            region,
            credentials: SharedCredentialsProvider::new(credentials),
            endpoints: Endpoints::Environment(endpoints),
        })
    }

    /// `endpoint` (such as the emulator's) for every service, in `region`, with fixed keys.
    pub fn for_endpoint(endpoint: &str, region: &str, access_key_id: &str, secret_access_key: &str) -> Config {
        let credentials = Credentials::new(access_key_id, secret_access_key, None, None, "static");
        Config {
            region: region.to_owned(),
            credentials: SharedCredentialsProvider::new(credentials),
            endpoints: Endpoints::Fixed(endpoint.to_owned()),
        }
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The credentials requests are signed with.
    pub(super) fn credentials(&self) -> SharedCredentialsProvider {
        self.credentials.clone()
    }

    /// The endpoint setting for `service`, if any: `AWS_ENDPOINT_URL_<SERVICE ID>` (the SDK id in
    /// capitals, spaces as `_`: `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`), then `AWS_ENDPOINT_URL`
    /// (with `local-profiles`, then the profile's `services` section and `endpoint_url`).
    pub fn endpoint(&self, service: &ServiceName) -> Option<String> {
        match &self.endpoints {
            Endpoints::Fixed(url) => Some(url.clone()),
            Endpoints::Environment(vars) => {
                let own = format!("{ENDPOINT_URL}_{}", service.sdk_id.to_ascii_uppercase().replace(' ', "_"));
                vars.get(&own).or_else(|| vars.get(ENDPOINT_URL)).cloned()
            }
            #[cfg(feature = "local-profiles")]
            Endpoints::Sdk(sdk) => profiles::endpoint(sdk, service),
        }
    }
}

/// aws-config, for a developer's machine.
#[cfg(feature = "local-profiles")]
mod profiles {
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    use aws_config::{BehaviorVersion, SdkConfig};
    use aws_credential_types::provider::ProvideCredentials;
    use aws_types::service_config::ServiceConfigKey;
    use futures_util::FutureExt;

    use super::ServiceName;

    /// aws-config's default chains, with the Bedrock client's HTTP client for the credential
    /// providers that call out (a load without one panics: the handler builds aws-config without
    /// its default HTTPS client). Credentials in the environment are read from there alone: they
    /// would win anyway, but building the chain builds a web-identity provider with an STS client
    /// of its own first (~0.5 M instructions, docs/performance.md step 8).
    pub(super) async fn load() -> SdkConfig {
        let loader = aws_config::defaults(BehaviorVersion::latest()).http_client(crate::bedrock::sdk_http_client());
        let environment = EnvironmentVariableCredentialsProvider::new();
        // Reading the environment does not wait: the future is ready when first polled.
        let loader = match environment.provide_credentials().now_or_never() {
            Some(Ok(_)) => loader.credentials_provider(environment),
            _ => loader,
        };
        loader.load().await
    }

    /// `AWS_ENDPOINT_URL_<SERVICE ID>` or the profile's `endpoint_url` for the service, then
    /// `AWS_ENDPOINT_URL` or the profile's `endpoint_url`.
    pub(super) fn endpoint(sdk: &SdkConfig, service: &ServiceName) -> Option<String> {
        let key = ServiceConfigKey::builder()
            .service_id(service.sdk_id)
            .profile("endpoint_url")
            .env("AWS_ENDPOINT_URL")
            .build()
            .ok()?;
        sdk.service_config().and_then(|c| c.load_config(key)).or_else(|| sdk.endpoint_url().map(str::to_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEDROCK: ServiceName =
        ServiceName { sdk_id: "Bedrock Runtime", host: "bedrock-runtime", signing_name: "bedrock" };

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    const KEYS: [(&str, &str); 2] = [("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "secret")];

    #[test]
    fn no_access_key_or_no_secret_is_no_credentials() {
        for pairs in [&[][..], &KEYS[..1], &KEYS[1..], &[("AWS_ACCESS_KEY_ID", " "), KEYS[1]][..]] {
            let error = Config::from_vars(vars(pairs)).unwrap_err();
            assert!(matches!(error, ConfigError::NoCredentials), "{pairs:?}");
            let line = error.to_string();
            for named in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "local-profiles"] {
                assert!(line.contains(named), "{line}");
            }
        }
    }

    #[tokio::test]
    async fn the_environments_keys_token_and_region_are_the_ones_used() {
        let mut pairs = KEYS.to_vec();
        pairs.extend([
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_REGION", "eu-west-3"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ]);
        let config = Config::from_vars(vars(&pairs)).unwrap();

        let keys = aws_credential_types::provider::ProvideCredentials::provide_credentials(&config.credentials())
            .await
            .unwrap();
        assert_eq!(
            (keys.access_key_id(), keys.secret_access_key(), keys.session_token()),
            ("AKIDEXAMPLE", "secret", Some("token"))
        );
        assert_eq!("eu-west-3", config.region());
        let pairs = [KEYS[0], ("SECRET_ACCESS_KEY", "other"), ("AWS_DEFAULT_REGION", "us-west-2")];
        let config = Config::from_vars(vars(&pairs)).unwrap();
        assert_eq!("us-west-2", config.region());
        assert_eq!("us-east-1", Config::from_vars(vars(&KEYS)).unwrap().region());
    }

    #[test]
    fn the_services_own_endpoint_comes_before_the_shared_one() {
        let mut pairs = KEYS.to_vec();
        pairs.push(("AWS_ENDPOINT_URL", "http://shared"));
        assert_eq!(Some("http://shared".to_owned()), Config::from_vars(vars(&pairs)).unwrap().endpoint(&BEDROCK));
        pairs.push(("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://own"));
        assert_eq!(Some("http://own".to_owned()), Config::from_vars(vars(&pairs)).unwrap().endpoint(&BEDROCK));
        pairs.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));
        assert_eq!(None, Config::from_vars(vars(&pairs)).unwrap().endpoint(&BEDROCK));
        assert_eq!(None, Config::from_vars(vars(&KEYS)).unwrap().endpoint(&BEDROCK));
    }

    #[test]
    fn a_fips_or_dual_stack_endpoint_is_refused_unless_false() {
        for variant in VARIANTS {
            for value in ["true", "TRUE", "yes"] {
                let mut pairs = KEYS.to_vec();
                pairs.push((variant, value));
                let error = Config::from_vars(vars(&pairs)).unwrap_err();
                assert!(error.to_string().starts_with(variant), "{error}");
            }
            let mut pairs = KEYS.to_vec();
            pairs.push((variant, "false"));
            assert!(Config::from_vars(vars(&pairs)).is_ok());
        }
    }
}
