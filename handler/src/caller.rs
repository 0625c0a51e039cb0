//! Who made a request, as the front door that authenticated it says: API Gateway, for a REST API
//! with API keys or a Cognito user-pool authorizer. The summary log line and the metrics record
//! carry it as properties (never as a metric dimension: one value per caller would make one metric
//! per caller).

/// The caller API Gateway authenticated; empty for a Function URL event (whose `AWS_IAM` caller is
/// not read) and for a REST API method that requires neither an API key nor a sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The id of the API key the request carried (`requestContext.identity.apiKeyId`, such as
    /// `a1b2c3d4e5`): an id, safe to log. The key itself (`identity.apiKey`) is never read.
    pub api_key_id: Option<String>,
    /// The `sub` claim of the Cognito ID token the user-pool authorizer accepted
    /// (`requestContext.authorizer.claims.sub`): the user's stable id in the pool.
    pub user_sub: Option<String>,
}
