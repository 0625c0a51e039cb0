//! Cold start: read the AWS configuration (region, credentials, endpoints), load settings (system
//! prompts from their files or parameters included) and build the Bedrock client once, then serve
//! invocations.

use std::process::ExitCode;

use bedrock_streamer::budget::{Alarm, Budget};
use bedrock_streamer::lambda::runtime;
use bedrock_streamer::service::App;
use bedrock_streamer::settings::Settings;
use bedrock_streamer::{aws, bedrock, budget, summary, telemetry};

// One thread: a Lambda instance serves one request at a time, and every relayed event would
// otherwise hop between worker threads (the Bedrock connection's task and the Runtime API
// connection's). just bench: about half the CPU per event was those wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let aws = match aws::Config::from_env().await {
        Ok(aws) => aws,
        Err(error) => {
            telemetry::init("info");
            tracing::error!(error = %error, "the AWS configuration is unusable; the function cannot start");
            return ExitCode::FAILURE;
        }
    };
    let settings = match Settings::from_env(&aws).await {
        Ok(settings) => settings,
        Err(error) => {
            telemetry::init("info");
            tracing::error!(error = %error, "invalid settings; the function cannot start");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&settings.log_level);
    for warning in &settings.warnings {
        tracing::warn!(warning = %warning, "a setting may not do what was meant");
    }
    summary::enable_metrics(std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "bedrock-streamer".into()));

    let client = bedrock::Client::new(&aws);
    let budget_alarm = settings.budget_alarm.clone();
    let mut app = App::new(settings, client);
    if let Some(alarm) = budget_alarm {
        app = app.with_budget(Budget::new(Alarm::new(alarm, &aws), budget::READ_EVERY));
    }
    let app: &'static App = Box::leak(Box::new(app));

    match runtime::serve(app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "the Lambda Runtime API is unreachable; exiting so Lambda can start a new instance");
            ExitCode::FAILURE
        }
    }
}
