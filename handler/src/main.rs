//! Cold start: load settings and build the Bedrock client once, then serve invocations.

use std::convert::Infallible;
use std::process::ExitCode;

use bedrock_streamer::service::App;
use bedrock_streamer::settings::Settings;
use bedrock_streamer::{metrics, telemetry};
use lambda_http::{run_with_streaming_response, service_fn};

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            telemetry::init("info");
            tracing::error!(error = %error, "invalid settings; the function cannot start");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&settings.log_level);
    metrics::init(std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "bedrock-streamer".into()));

    // The standard AWS chain: region and credentials from the Lambda environment, and the endpoint
    // override from AWS_ENDPOINT_URL_BEDROCK_RUNTIME (how the local emulator is reached).
    let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_bedrockruntime::Client::new(&sdk_config);
    let app: &'static App = Box::leak(Box::new(App { settings, client }));

    let handler = service_fn(move |req| async move { Ok::<_, Infallible>(app.handle(req).await) });
    match run_with_streaming_response(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
