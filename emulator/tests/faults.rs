//! Faults: how each one looks to the real SDK, how the SDK's retries meet them, and how a fault
//! is chosen for a request (script, then prompt marker, then default).

mod common;

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::types::ConverseStreamOutput as Event;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use bedrock_emulator::{EmulatorConfig, ExchangeOutcome, Fault};
use common::{client, client_without_retries, converse, emulator, receive, start};
use std::time::{Duration, Instant};

#[tokio::test]
async fn each_pre_stream_fault_becomes_the_sdks_typed_error() {
    let emulator = emulator().await;
    let client = client_without_retries(&emulator).await;
    type Is = fn(&ConverseStreamError) -> bool;
    let cases: [(Fault, u16, Is); 7] = [
        (Fault::Throttling, 429, ConverseStreamError::is_throttling_exception),
        (Fault::AccessDenied, 403, ConverseStreamError::is_access_denied_exception),
        (Fault::Validation, 400, ConverseStreamError::is_validation_exception),
        (Fault::ModelNotFound, 404, ConverseStreamError::is_resource_not_found_exception),
        (Fault::ModelTimeout, 408, ConverseStreamError::is_model_timeout_exception),
        (Fault::ServiceUnavailable, 503, ConverseStreamError::is_service_unavailable_exception),
        (Fault::InternalError, 500, ConverseStreamError::is_internal_server_exception),
    ];

    for (fault, status, is_expected) in cases {
        emulator.script([fault]);
        let error = converse(&client, "about: anything").send().await.unwrap_err();
        let SdkError::ServiceError(context) = &error else { panic!("{fault}: {error:?}") };
        assert_eq!(context.raw().status().as_u16(), status, "{fault}");
        assert!(is_expected(context.err()), "{fault}: {:?}", context.err());
        assert!(context.err().meta().message().is_some_and(|m| !m.is_empty()), "{fault} carries a message");
    }
    assert!(emulator.requests().iter().all(|r| r.outcome == ExchangeOutcome::Failed));
}

#[tokio::test]
async fn the_validation_fault_names_the_model_and_inference_profiles() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::Validation]);

    let error = converse(&client, "about: profiles").send().await.unwrap_err().into_service_error();

    let ConverseStreamError::ValidationException(validation) = error else { panic!("{error:?}") };
    assert_eq!(
        validation.message(),
        Some(
            "Invocation of model ID anthropic.claude-3-haiku-20240307-v1:0 with on-demand throughput isn’t \
             supported. Retry your request with the ID or ARN of an inference profile that contains this model."
        )
    );
}

#[tokio::test]
async fn end_of_life_is_a_resource_not_found_with_bedrocks_words() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let error = converse(&client, "fault_end_of_life").send().await.unwrap_err();

    let SdkError::ServiceError(context) = &error else { panic!("{error:?}") };
    assert_eq!(context.raw().status().as_u16(), 404);
    let ConverseStreamError::ResourceNotFoundException(not_found) = context.err() else { panic!("{error:?}") };
    assert_eq!(
        not_found.message(),
        Some(
            "This model version has reached the end of its life. Please refer to the AWS documentation for more \
             details."
        )
    );
    assert_eq!(emulator.request_count(), 1, "not retried");
}

#[tokio::test]
async fn quota_exceeded_is_an_unmodelled_error_whose_code_names_it() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let error = converse(&client, "fault_quota_exceeded").send().await.unwrap_err();

    let SdkError::ServiceError(context) = &error else { panic!("{error:?}") };
    assert_eq!(context.raw().status().as_u16(), 400);
    assert_eq!(context.err().code(), Some("ServiceQuotaExceededException"));
    assert!(context.err().message().is_some_and(|m| m.starts_with("Your request exceeds the service quota")));
    assert_eq!(emulator.request_count(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn model_not_ready_is_a_retryable_429() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let error = converse(&client, "fault_model_not_ready").send().await.unwrap_err();

    let SdkError::ServiceError(context) = &error else { panic!("{error:?}") };
    assert_eq!(context.raw().status().as_u16(), 429);
    assert!(context.err().is_model_not_ready_exception(), "{:?}", context.err());
    assert_eq!(emulator.request_count(), 3, "the SDK retried it");
}

#[tokio::test]
async fn throttling_carries_bedrocks_own_message() {
    let emulator = emulator().await;
    let client = client_without_retries(&emulator).await;
    emulator.script([Fault::Throttling]);

    let error = converse(&client, "about: quotas").send().await.unwrap_err().into_service_error();

    assert_eq!(error.message(), Some("Too many tokens per day, please wait before trying again."));
}

#[tokio::test]
async fn throttling_once_is_recovered_by_the_sdk_retry() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::Throttling]);

    let output = converse(&client, "about: patience").send().await.unwrap();
    let received = receive(output).await;

    assert!(received.error.is_none());
    assert!(received.text().contains("patience"));
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2, "the throttled attempt and the retry");
    assert_eq!((requests[0].fault, requests[0].status), (Some(Fault::Throttling), 429));
    assert_eq!((requests[1].fault, requests[1].status), (None, 200));
    assert!(matches!(requests[1].outcome, ExchangeOutcome::Completed { .. }));
}

#[tokio::test]
async fn throttling_on_every_attempt_exhausts_the_sdk_retries() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::Throttling; 3]);

    let error = converse(&client, "about: patience").send().await.unwrap_err().into_service_error();

    assert!(matches!(error, ConverseStreamError::ThrottlingException(_)), "{error:?}");
    assert_eq!(emulator.request_count(), 3, "standard retry mode makes three attempts");
}

#[tokio::test]
async fn the_sdk_retries_throttling_and_server_errors_but_not_client_errors() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    let attempts = [
        (Fault::Throttling, 3),
        (Fault::ServiceUnavailable, 3),
        (Fault::InternalError, 3),
        (Fault::ModelTimeout, 1),
        (Fault::AccessDenied, 1),
        (Fault::Validation, 1),
        (Fault::ModelNotFound, 1),
        (Fault::EndOfLife, 1),
        (Fault::QuotaExceeded, 1),
        (Fault::ModelNotReady, 3),
    ];

    for (fault, expected) in attempts {
        let before = emulator.request_count();
        // A prompt marker applies to every attempt of the call, unlike a scripted fault.
        converse(&client, &format!("fault_{}", fault.name())).send().await.unwrap_err();
        assert_eq!(emulator.request_count() - before, expected, "attempts for {fault}");
    }
}

#[tokio::test]
async fn a_midstream_model_error_arrives_as_a_typed_stream_error_after_three_deltas() {
    let emulator = emulator().await;
    let client = client(&emulator).await;

    let output = converse(&client, "fault_midstream_error about: volcanoes").send().await.unwrap();
    let received = receive(output).await;

    assert_eq!(received.deltas(), ["Once", " upon", " a"]);
    assert!(matches!(received.events[0], Event::MessageStart(_)));
    let Some(ConverseStreamOutputError::ModelStreamErrorException(error)) = received.service_error() else {
        panic!("{:?}", received.error)
    };
    assert_eq!(error.original_status_code(), Some(529));
    assert_eq!(error.original_message(), Some("Overloaded"));
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1, "the SDK never retries an error inside the stream");
    assert_eq!(requests[0].outcome, ExchangeOutcome::Failed);
    assert_eq!(requests[0].status, 200, "the stream had started");
}

#[tokio::test]
async fn midstream_throttling_arrives_as_a_typed_stream_error() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::MidStreamThrottling { after_tokens: 5 }]);

    let received = receive(converse(&client, "about: rivers").send().await.unwrap()).await;

    assert_eq!(received.deltas().len(), 5);
    let error = received.service_error();
    assert!(matches!(error, Some(ConverseStreamOutputError::ThrottlingException(_))), "{error:?}");
}

#[tokio::test]
async fn account_gates_are_resource_not_found_with_bedrocks_words() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    for (marker, words) in [
        ("fault_legacy", "Access denied. This Model is marked by provider as Legacy"),
        ("fault_use_case_required", "Model use case details have not been submitted for this account."),
    ] {
        let error = converse(&client, marker).send().await.unwrap_err();
        let SdkError::ServiceError(context) = &error else { panic!("{error:?}") };
        assert_eq!(context.raw().status().as_u16(), 404, "{marker}");
        let ConverseStreamError::ResourceNotFoundException(gate) = context.err() else { panic!("{error:?}") };
        assert!(gate.message().is_some_and(|m| m.starts_with(words)), "{marker}: {gate:?}");
    }
    assert_eq!(emulator.request_count(), 2, "neither is retried");
}

#[tokio::test]
async fn each_documented_stream_exception_arrives_as_its_typed_error_with_its_message() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    type Is = fn(&ConverseStreamOutputError) -> bool;
    let cases: [(Fault, Is, &str); 3] = [
        (
            Fault::MidStreamInternal { after_tokens: 2 },
            ConverseStreamOutputError::is_internal_server_exception,
            "The system encountered an unexpected error during processing. Try your request again.",
        ),
        (
            Fault::MidStreamUnavailable { after_tokens: 2 },
            ConverseStreamOutputError::is_service_unavailable_exception,
            "Bedrock is unable to process your request.",
        ),
        (
            Fault::MidStreamValidation { after_tokens: 2 },
            ConverseStreamOutputError::is_validation_exception,
            "Input validation failed. Check your request parameters and retry the request.",
        ),
    ];
    for (fault, is_expected, message) in cases {
        emulator.script([fault]);
        let received = receive(converse(&client, "about: tides").send().await.unwrap()).await;
        assert_eq!(received.deltas().len(), 2, "{fault}");
        let error = received.service_error().unwrap_or_else(|| panic!("{fault}: no service error"));
        assert!(is_expected(error), "{fault}: {error:?}");
        assert_eq!(error.meta().message(), Some(message), "{fault}");
    }
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error_after_the_deltas() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::Drop { after_tokens: 4 }]);

    let received = receive(converse(&client, "about: bridges").send().await.unwrap()).await;

    assert_eq!(received.deltas().len(), 4, "what was sent before the drop still arrives");
    let error = received.error.expect("the stream ends in an error");
    // Not a Bedrock error but a broken transport: hyper's "unexpected EOF during chunk size line".
    assert!(matches!(error, SdkError::DispatchFailure(ref failure) if failure.is_io()), "{error:?}");
    assert_eq!(emulator.requests()[0].outcome, ExchangeOutcome::Failed);
}

#[tokio::test]
async fn a_stall_keeps_the_stream_open_until_the_client_leaves() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::Stall { after_tokens: 2 }]);

    let mut output = converse(&client, "about: waiting").send().await.unwrap();
    let mut deltas = 0;
    while deltas < 2 {
        if let Event::ContentBlockDelta(_) = output.stream.recv().await.unwrap().unwrap() {
            deltas += 1;
        }
    }
    let next = tokio::time::timeout(Duration::from_millis(300), output.stream.recv()).await;
    assert!(next.is_err(), "nothing more arrives: {next:?}");
    assert_eq!(emulator.requests()[0].outcome, ExchangeOutcome::Streaming, "and the connection is still open");

    let left = Instant::now();
    drop(output);
    let closed = emulator
        .wait_for(Duration::from_secs(2), |r| matches!(r[0].outcome, ExchangeOutcome::ClientDisconnected { .. }))
        .await;
    assert!(closed, "the emulator noticed the client leaving");
    let ExchangeOutcome::ClientDisconnected { at } = emulator.requests()[0].outcome else { unreachable!() };
    assert!(at.saturating_duration_since(left) < Duration::from_millis(200), "noticed {:?} after", at - left);
}

#[tokio::test]
async fn a_truncated_stream_ends_cleanly_after_the_deltas_with_no_stop_or_metadata() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::Truncate { after_tokens: 2 }]);

    let mut output = converse(&client, "about: cliffs").send().await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = output.stream.recv().await.expect("no error: the body just ends") {
        events.push(event);
    }

    assert!(matches!(events[0], Event::MessageStart(_)));
    assert!(events[1..].iter().all(|e| matches!(e, Event::ContentBlockDelta(_))), "{events:?}");
    assert_eq!(events.len(), 3);
    assert_eq!(emulator.requests()[0].outcome, ExchangeOutcome::Failed);
}

#[tokio::test]
async fn a_hung_request_gets_no_answer_until_the_client_leaves() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::Hang]);

    let call = tokio::time::timeout(Duration::from_millis(300), converse(&client, "about: silence").send()).await;
    assert!(call.is_err(), "no response arrives");
    let closed = emulator
        .wait_for(Duration::from_secs(2), |r| matches!(r[0].outcome, ExchangeOutcome::ClientDisconnected { .. }))
        .await;
    assert!(closed, "giving up on the call closes the connection, and the emulator sees it");
    assert_eq!(emulator.requests()[0].status, 0);
}

#[tokio::test]
async fn the_script_beats_a_prompt_marker_which_beats_the_default_fault() {
    let emulator = start(EmulatorConfig { default_fault: Some(Fault::AccessDenied), ..Default::default() }).await;
    let client = client_without_retries(&emulator).await;
    emulator.script([Fault::ModelNotFound]);

    let scripted = converse(&client, "fault_validation").send().await.unwrap_err().into_service_error();
    let marked = converse(&client, "fault_validation").send().await.unwrap_err().into_service_error();
    let defaulted = converse(&client, "no marker").send().await.unwrap_err().into_service_error();

    assert!(matches!(scripted, ConverseStreamError::ResourceNotFoundException(_)), "{scripted:?}");
    assert!(matches!(marked, ConverseStreamError::ValidationException(_)), "{marked:?}");
    assert!(matches!(defaulted, ConverseStreamError::AccessDeniedException(_)), "{defaulted:?}");
    let faults: Vec<_> = emulator.requests().iter().map(|r| r.fault).collect();
    assert_eq!(faults, [Some(Fault::ModelNotFound), Some(Fault::Validation), Some(Fault::AccessDenied)]);
}

#[tokio::test]
async fn concurrent_requests_each_get_the_fault_their_prompt_names() {
    let emulator = start(EmulatorConfig { token_interval: Duration::from_millis(5), ..Default::default() }).await;
    let client = client_without_retries(&emulator).await;
    let prompts =
        ["about: calm", "fault_midstream_error", "fault_access_denied", "fault_midstream_throttling", "fault_drop"];

    let calls = prompts.map(|prompt| {
        let client = client.clone();
        tokio::spawn(async move { outcome_of(converse(&client, prompt).send().await).await })
    });
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.push(call.await.unwrap());
    }

    assert_eq!(
        outcomes,
        [
            (60, "completed"),
            (3, "modelStreamErrorException"),
            (0, "AccessDeniedException"),
            (3, "throttlingException"),
            (3, "transport error"),
        ]
    );
    assert_eq!(emulator.request_count(), 5);
}

/// Deltas received, and how the call ended. In-stream exceptions have no error code in their
/// metadata (the SDK reads codes from the payload, not from `:exception-type`), so they are told
/// apart by variant.
async fn outcome_of(
    sent: Result<
        aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamOutput,
        SdkError<ConverseStreamError, aws_sdk_bedrockruntime::config::http::HttpResponse>,
    >,
) -> (usize, &'static str) {
    let output = match sent {
        Ok(output) => output,
        Err(error) => {
            let rejected = error.into_service_error();
            assert!(rejected.is_access_denied_exception(), "{rejected:?}");
            return (0, "AccessDeniedException");
        }
    };
    let received = receive(output).await;
    let ending = match (&received.error, received.service_error()) {
        (None, _) => "completed",
        (Some(_), Some(ConverseStreamOutputError::ModelStreamErrorException(_))) => "modelStreamErrorException",
        (Some(_), Some(ConverseStreamOutputError::ThrottlingException(_))) => "throttlingException",
        (Some(_), Some(other)) => panic!("unexpected stream error {other:?}"),
        (Some(_), None) => "transport error",
    };
    (received.deltas().len(), ending)
}

#[tokio::test]
async fn invalid_requests_are_rejected_like_bedrock_and_still_recorded() {
    let emulator = emulator().await;
    let client = client(&emulator).await;
    emulator.script([Fault::Throttling]);

    let error = converse(&client, "about: nothing")
        .inference_config(aws_sdk_bedrockruntime::types::InferenceConfiguration::builder().max_tokens(0).build())
        .send()
        .await
        .unwrap_err()
        .into_service_error();

    assert!(matches!(error, ConverseStreamError::ValidationException(_)), "{error:?}");
    assert!(error.meta().message().unwrap().contains("inferenceConfig.maxTokens"));
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1, "a validation error is not retried");
    assert_eq!((requests[0].status, requests[0].max_tokens, requests[0].fault), (400, Some(0), None));
    assert_eq!(requests[0].prompt, "about: nothing");

    converse(&client, "about: something").send().await.unwrap();
    let faults: Vec<_> = emulator.requests().iter().map(|r| r.fault).collect();
    assert_eq!(faults, [None, Some(Fault::Throttling), None], "the scripted fault waited for a valid request");
}

#[tokio::test]
async fn requests_bedrock_refuses_are_validation_exceptions_with_its_words() {
    let emulator = emulator().await;
    let client = client_without_retries(&emulator).await;
    let user = |text: &str| {
        aws_sdk_bedrockruntime::types::Message::builder()
            .role(aws_sdk_bedrockruntime::types::ConversationRole::User)
            .content(aws_sdk_bedrockruntime::types::ContentBlock::Text(text.to_owned()))
            .build()
            .unwrap()
    };

    let two_user_turns = converse(&client, "first").messages(user("second")).send().await.unwrap_err();
    let hot = aws_sdk_bedrockruntime::types::InferenceConfiguration::builder().temperature(5.0).build();
    let too_hot = converse(&client, "about: suns").inference_config(hot).send().await.unwrap_err();

    let two_user_turns = two_user_turns.into_service_error();
    assert!(two_user_turns.is_validation_exception(), "{two_user_turns:?}");
    assert!(two_user_turns.message().unwrap().starts_with("A conversation must alternate between user and assistant"));
    let too_hot = too_hot.into_service_error();
    assert!(too_hot.is_validation_exception(), "{too_hot:?}");
    assert_eq!(
        too_hot.message(),
        Some(
            "1 validation error detected: Value '5.0' at 'inferenceConfig.temperature' failed to satisfy \
             constraint: Member must have value less than or equal to 1"
        )
    );
    assert!(emulator.requests().iter().all(|r| r.status == 400));
}
