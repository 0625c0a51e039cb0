//! The emulated model: turns an accepted request into a schedule of event-stream frames, paced
//! like a model generating tokens, that ends normally or with the request's fault.

use crate::body::{Chunk, Ending};
use crate::config::EmulatorConfig;
use crate::converse::ConverseRequest;
use crate::eventstream::{self, StopReason, StreamException, Usage};
use crate::fault::Fault;
use crate::fault::{CACHE_READ_TOKENS, CACHE_WRITE_TOKENS, EMPTY_DELTA_LEAD};
use crate::guardrail::{BLOCKED_INPUT_MESSAGE, BLOCKED_OUTPUT_MESSAGE, FLAGGED_TOKENS, Mode};
use crate::story;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendError;

/// The signature that closes an emulated reasoning block (base64, like Bedrock's).
const REASONING_SIGNATURE: &str = "ZW11bGF0ZWQgcmVhc29uaW5nIHNpZ25hdHVyZQ==";

/// One thing the stream does, in order.
#[derive(Clone, Debug, PartialEq)]
enum Action {
    MessageStart,
    Reasoning(String),
    ReasoningSignature,
    /// A text delta of a content block; recorded as a delta when it leaves.
    Text {
        index: usize,
        text: String,
    },
    /// The story: one text delta per token in content block `index`, paced one token interval
    /// apart from slot `first_slot`, `lead` later. One step, however long the story, so that a
    /// benchmark-sized story is planned without a step per token.
    Story {
        index: usize,
        tokens: Vec<String>,
        first_slot: usize,
        lead: Duration,
    },
    BlockStop(usize),
    MessageStop(StopReason),
    /// `metadata`, with `latencyMs` measured when it is sent unless `metrics` is off, and the
    /// guardrail's `trace` when it has one.
    Metadata {
        usage: Usage,
        metrics: bool,
        trace: Option<serde_json::Value>,
    },
    /// An exception message, ending the stream.
    Exception(StreamException),
    BadFrame,
    End(Ending),
    Abort,
    /// Keep the body open, sending nothing, until the client leaves.
    HoldOpen,
}

/// An action and the earliest time it may happen (`None`: right after the previous one).
#[derive(Clone, Debug, PartialEq)]
struct Step {
    due: Option<Instant>,
    action: Action,
}

/// Everything one stream does, fixed when the request is accepted.
pub(crate) struct Plan {
    steps: Vec<Step>,
    received_at: Instant,
    /// When the first token is due.
    first_token_at: Instant,
    token_interval: Duration,
}

impl Plan {
    /// Plans a `story_words`-word story about the prompt's subject (or the echo of the
    /// conversation, [`story::ECHO_MARKER`]), cut before the first stop sequence and to
    /// `maxTokens` the way a model stops, preceded by reasoning when the model thinks, and ended
    /// the way the fault says. Deadlines are fixed from the request's arrival, so slow polling
    /// does not stretch the whole stream.
    pub fn new(
        request: &ConverseRequest,
        config: &EmulatorConfig,
        fault: Option<Fault>,
        thinks: bool,
        received_at: Instant,
    ) -> Self {
        let subject = story::subject_of(&request.prompt);
        let mut tokens = if story::asks_for_echo(&request.prompt) {
            story::echo_tokens(request.system.as_deref(), &request.messages)
        } else if config.whole_story {
            story::whole_story(&subject)
        } else {
            story::tokens(&subject, config.story_words)
        };
        let mut stop_reason = StopReason::EndTurn;
        if let Some(cut) = cut_at_stop_sequence(&tokens, &request.stop_sequences) {
            tokens = cut;
            stop_reason = StopReason::StopSequence;
        }
        if let Some(max) = request.max_tokens.and_then(|max| usize::try_from(max).ok())
            && max < tokens.len()
        {
            tokens.truncate(max);
            stop_reason = StopReason::MaxTokens;
        }
        let first_token_at = received_at + config.first_token_delay;
        let slot = |n: usize| due(first_token_at, config.token_interval, n);
        let guardrail = request.guardrail.clone().unwrap_or_default();
        if fault == Some(Fault::GuardrailInput) {
            // The prompt is blocked before the model runs: the blocked message is the whole answer.
            let usage = Usage {
                input_tokens: request.input_tokens,
                output_tokens: 0,
                cache: None,
                service_tier: request.service_tier.clone(),
            };
            let steps = [
                (None, Action::MessageStart),
                (Some(first_token_at), Action::Text { index: 0, text: BLOCKED_INPUT_MESSAGE.to_owned() }),
                (None, Action::BlockStop(0)),
                (None, Action::MessageStop(StopReason::GuardrailIntervened)),
                (None, Action::Metadata { usage, metrics: true, trace: guardrail.trace(true) }),
                (None, Action::End(Ending::Completed)),
            ];
            let steps = steps.into_iter().map(|(due, action)| Step { due, action }).collect();
            return Self { steps, received_at, first_token_at, token_interval: config.token_interval };
        }

        let mut steps = vec![Step { due: None, action: Action::MessageStart }];
        let mut push = |due: Option<Instant>, action| steps.push(Step { due, action });
        let mut slots = 0;
        let mut reasoning_tokens = 0;
        let mut text_block = 0;
        if thinks || fault == Some(Fault::Reasoning) {
            for token in story::reasoning_tokens(&subject) {
                push(Some(slot(slots)), Action::Reasoning(token));
                slots += 1;
                reasoning_tokens += 1;
            }
            push(None, Action::ReasoningSignature);
            push(None, Action::BlockStop(0));
            text_block = 1;
        }
        let mut lead = Duration::ZERO;
        if fault == Some(Fault::EmptyFirstDelta) {
            push(Some(slot(slots)), Action::Text { index: text_block, text: String::new() });
            lead = EMPTY_DELTA_LEAD;
        }
        // In async mode the text the guardrail flags goes out before it acts.
        let sent = match fault {
            Some(Fault::GuardrailOutput { after_tokens }) if guardrail.mode == Mode::Async => {
                Some(after_tokens + FLAGGED_TOKENS)
            }
            _ => fault.and_then(|f| f.after_tokens()),
        };
        let deltas = sent.map_or(tokens.len(), |n| n.min(tokens.len()));
        tokens.truncate(deltas);
        push(None, Action::Story { index: text_block, tokens, first_slot: slots, lead });
        slots += deltas;

        let next = Some(slot(slots) + lead);
        match (fault, fault.and_then(|f| f.stream_exception())) {
            (_, Some(exception)) => {
                push(next, Action::Exception(exception));
                push(None, Action::End(Ending::Failed));
            }
            (Some(Fault::BadFrame { .. }), _) => {
                push(next, Action::BadFrame);
                push(None, Action::End(Ending::Failed));
            }
            (Some(Fault::Drop { .. }), _) => push(next, Action::Abort),
            (Some(Fault::Truncate { .. }), _) => push(next, Action::End(Ending::Failed)),
            // Holding the body open without a byte more, until it is dropped because the client left.
            (Some(Fault::Stall { .. }), _) => push(None, Action::HoldOpen),
            (Some(Fault::GuardrailOutput { .. }), _) => {
                // Sync: the flagged text was held back, and the blocked message takes its place.
                if guardrail.mode == Mode::Sync {
                    push(next, Action::Text { index: text_block, text: BLOCKED_OUTPUT_MESSAGE.to_owned() });
                }
                push(None, Action::BlockStop(text_block));
                push(None, Action::MessageStop(StopReason::GuardrailIntervened));
                let generated = if guardrail.mode == Mode::Sync { deltas + FLAGGED_TOKENS } else { deltas };
                let usage = Usage {
                    input_tokens: request.input_tokens,
                    output_tokens: reasoning_tokens + generated,
                    cache: None,
                    service_tier: request.service_tier.clone(),
                };
                push(None, Action::Metadata { usage, metrics: true, trace: guardrail.trace(false) });
                push(None, Action::End(Ending::Completed));
            }
            // Pre-stream faults never reach a stream: the request was already rejected.
            _ => {
                push(None, Action::BlockStop(text_block));
                push(None, Action::MessageStop(stop_reason));
                if fault != Some(Fault::NoMetadata) {
                    let cache = if fault == Some(Fault::Cache) {
                        Some((CACHE_READ_TOKENS, CACHE_WRITE_TOKENS))
                    } else {
                        request.cached
                    };
                    // As on Bedrock, inputTokens leaves out what the cache read or wrote.
                    let cached_words = request.cached.map_or(0, |(read, write)| read + write);
                    let usage = Usage {
                        input_tokens: request.input_tokens.saturating_sub(cached_words),
                        output_tokens: reasoning_tokens + deltas,
                        cache,
                        service_tier: request.service_tier.clone(),
                    };
                    push(None, Action::Metadata { usage, metrics: fault != Some(Fault::NoMetrics), trace: None });
                }
                if fault == Some(Fault::Linger) {
                    push(None, Action::HoldOpen);
                } else {
                    push(None, Action::End(Ending::Completed));
                }
            }
        }
        Self { steps, received_at, first_token_at, token_interval: config.token_interval }
    }
}

/// The tokens before the earliest of `stops` in their text (the stop sequence itself is not
/// sent, as Bedrock does not send it), or `None` when none occurs.
fn cut_at_stop_sequence(tokens: &[String], stops: &[String]) -> Option<Vec<String>> {
    if stops.is_empty() {
        // A benchmark-sized story is not copied for nothing.
        return None;
    }
    let text = tokens.concat();
    let at = stops.iter().filter_map(|stop| text.find(stop.as_str())).min()?;
    let mut kept = Vec::new();
    let mut length = 0;
    for token in tokens {
        if length + token.len() <= at {
            kept.push(token.clone());
            length += token.len();
        } else {
            let part = &token[..at - length];
            if !part.is_empty() {
                kept.push(part.to_owned());
            }
            break;
        }
    }
    Some(kept)
}

/// When token slot `n` (0-based) is due: deadlines are fixed from the request's arrival, so slow
/// polling does not stretch the whole stream.
fn due(first_token_at: Instant, token_interval: Duration, n: usize) -> Instant {
    first_token_at + token_interval.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Produces the stream; returns early, quietly, once the body is gone (the client left).
pub(crate) async fn run(plan: Plan, chunks: mpsc::Sender<Chunk>) {
    let _client_left: Result<(), SendError<Chunk>> = stream(&plan, &chunks).await;
}

async fn stream(plan: &Plan, chunks: &mpsc::Sender<Chunk>) -> Result<(), SendError<Chunk>> {
    for step in &plan.steps {
        if let Some(due) = step.due {
            sleep_until(due).await;
        }
        let chunk = match &step.action {
            Action::MessageStart => Chunk::Frame(eventstream::message_start()),
            Action::Reasoning(text) => Chunk::Frame(eventstream::reasoning_delta(text)),
            Action::ReasoningSignature => Chunk::Frame(eventstream::reasoning_signature(REASONING_SIGNATURE)),
            Action::Text { index, text } => Chunk::Delta(eventstream::content_block_delta(*index, text)),
            Action::Story { index, tokens, first_slot, lead } => {
                for (i, token) in tokens.iter().enumerate() {
                    sleep_until(due(plan.first_token_at, plan.token_interval, first_slot + i) + *lead).await;
                    chunks.send(Chunk::Delta(eventstream::content_block_delta(*index, token))).await?;
                }
                continue;
            }
            Action::BlockStop(index) => Chunk::Frame(eventstream::content_block_stop(*index)),
            Action::MessageStop(reason) => Chunk::Frame(eventstream::message_stop(*reason)),
            Action::Metadata { usage, metrics, trace } => {
                Chunk::Frame(eventstream::metadata(usage, metrics.then(|| plan.received_at.elapsed()), trace.as_ref()))
            }
            Action::Exception(exception) => Chunk::Frame(exception.frame()),
            Action::BadFrame => Chunk::Frame(eventstream::bad_frame()),
            Action::End(ending) => Chunk::End(*ending),
            Action::Abort => Chunk::Abort,
            Action::HoldOpen => {
                chunks.closed().await;
                return Ok(());
            }
        };
        chunks.send(chunk).await?;
    }
    Ok(())
}

/// Sleeps only when the deadline is ahead: tokio rounds even a zero sleep up to its 1 ms timer
/// tick, which would slow an unpaced benchmark stream to a thousand tokens a second.
async fn sleep_until(deadline: Instant) {
    if deadline > Instant::now() {
        tokio::time::sleep_until(deadline.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse::Turn;

    /// The plan's actions, the story spelled out as one text delta per token.
    fn plan(fault: Option<Fault>, thinks: bool) -> Vec<Action> {
        let request = ConverseRequest { prompt: "about: owls".into(), input_tokens: 2, ..Default::default() };
        let config = EmulatorConfig { story_words: 4, ..Default::default() };
        let steps = Plan::new(&request, &config, fault, thinks, Instant::now()).steps;
        steps
            .into_iter()
            .flat_map(|step| match step.action {
                Action::Story { index, tokens, .. } => {
                    tokens.into_iter().map(|text| Action::Text { index, text }).collect::<Vec<_>>()
                }
                action => vec![action],
            })
            .collect()
    }

    fn text(index: usize, text: &str) -> Action {
        Action::Text { index, text: text.into() }
    }

    #[test]
    fn a_plain_story_is_start_deltas_stop_and_metadata() {
        let usage = Usage { input_tokens: 2, output_tokens: 4, cache: None, service_tier: None };
        assert_eq!(
            plan(None, false),
            [
                Action::MessageStart,
                text(0, "Once"),
                text(0, " upon"),
                text(0, " a"),
                text(0, " time"),
                Action::BlockStop(0),
                Action::MessageStop(StopReason::EndTurn),
                Action::Metadata { usage, metrics: true, trace: None },
                Action::End(Ending::Completed),
            ]
        );
    }

    #[test]
    fn a_thinking_model_reasons_in_block_zero_and_tells_the_story_in_block_one() {
        let actions = plan(None, true);
        let reasoning = actions.iter().filter(|a| matches!(a, Action::Reasoning(_))).count();
        assert!(reasoning > 0);
        let signature = actions.iter().position(|a| *a == Action::ReasoningSignature).unwrap();
        assert_eq!(actions[signature + 1], Action::BlockStop(0));
        assert_eq!(actions[signature + 2], text(1, "Once"));
        assert!(actions.contains(&Action::BlockStop(1)));
        let Some(Action::Metadata { usage, .. }) = actions.iter().find(|a| matches!(a, Action::Metadata { .. })) else {
            panic!("{actions:?}")
        };
        assert_eq!(usage.output_tokens, reasoning + 4, "reasoning is billed as output");
        assert_eq!(plan(Some(Fault::Reasoning), false), actions);
    }

    #[test]
    fn stream_variations_change_only_their_part() {
        let empty_first = plan(Some(Fault::EmptyFirstDelta), false);
        assert_eq!(empty_first[1..3], [text(0, ""), text(0, "Once")]);
        let no_metadata = plan(Some(Fault::NoMetadata), false);
        assert!(!no_metadata.iter().any(|a| matches!(a, Action::Metadata { .. })));
        assert_eq!(
            no_metadata[no_metadata.len() - 2..],
            [Action::MessageStop(StopReason::EndTurn), Action::End(Ending::Completed)]
        );
        let linger = plan(Some(Fault::Linger), false);
        assert!(matches!(linger[linger.len() - 2..], [Action::Metadata { .. }, Action::HoldOpen]));
        assert!(plan(Some(Fault::NoMetrics), false).contains(&Action::Metadata {
            usage: Usage { input_tokens: 2, output_tokens: 4, cache: None, service_tier: None },
            metrics: false,
            trace: None
        }));
        assert!(plan(Some(Fault::Cache), false).contains(&Action::Metadata {
            usage: Usage {
                input_tokens: 2,
                output_tokens: 4,
                cache: Some((CACHE_READ_TOKENS, CACHE_WRITE_TOKENS)),
                service_tier: None
            },
            metrics: true,
            trace: None
        }));
    }

    #[test]
    fn the_answer_stops_before_the_first_stop_sequence() {
        let request = ConverseRequest {
            prompt: "about: owls".into(),
            stop_sequences: vec!["time".into(), "upon".into()],
            ..Default::default()
        };
        let config = EmulatorConfig { story_words: 4, ..Default::default() };
        let steps = Plan::new(&request, &config, None, false, Instant::now()).steps;
        let Action::Story { tokens, .. } = &steps[1].action else { panic!("{:?}", steps[1]) };
        assert_eq!(tokens, &["Once", " "], "cut inside a token, before the earliest match");
        assert!(steps.iter().any(|s| s.action == Action::MessageStop(StopReason::StopSequence)));
        let missing = ConverseRequest { stop_sequences: vec!["zebra".into()], ..request };
        let steps = Plan::new(&missing, &config, None, false, Instant::now()).steps;
        assert!(steps.iter().any(|s| s.action == Action::MessageStop(StopReason::EndTurn)));
    }

    #[test]
    fn the_echo_marker_answers_with_the_conversation() {
        let turn = |role: &str, text: &str| Turn { role: role.into(), text: text.into() };
        let request = ConverseRequest {
            prompt: "Name? echo_conversation".into(),
            system: Some("Be brief.".into()),
            messages: vec![
                turn("user", "I am Otto."),
                turn("assistant", "Hi."),
                turn("user", "Name? echo_conversation"),
            ],
            max_tokens: Some(6),
            ..Default::default()
        };
        let steps = Plan::new(&request, &EmulatorConfig::default(), None, false, Instant::now()).steps;
        let Action::Story { tokens, .. } = &steps[1].action else { panic!("{:?}", steps[1]) };
        assert_eq!(tokens.concat(), "[system] Be brief. [user] I am", "maxTokens still cuts it");
        assert!(steps.iter().any(|s| s.action == Action::MessageStop(StopReason::MaxTokens)));
    }

    #[test]
    fn the_first_word_after_an_empty_delta_is_due_later() {
        let request = ConverseRequest { prompt: "about: owls".into(), ..Default::default() };
        let config = EmulatorConfig::default();
        let now = Instant::now();
        let steps = Plan::new(&request, &config, Some(Fault::EmptyFirstDelta), false, now).steps;
        assert_eq!(steps[1].due, Some(now));
        let Action::Story { first_slot, lead, .. } = steps[2].action else { panic!("{:?}", steps[2]) };
        assert_eq!((first_slot, lead), (0, EMPTY_DELTA_LEAD), "the first word takes the empty delta's slot, later");
    }

    #[test]
    fn broken_streams_end_after_their_deltas() {
        let after_two = |fault: Fault| plan(Some(fault), false)[3..].to_vec();
        assert_eq!(after_two(Fault::BadFrame { after_tokens: 2 }), [Action::BadFrame, Action::End(Ending::Failed)]);
        assert_eq!(
            after_two(Fault::UnknownException { after_tokens: 2 }),
            [Action::Exception(StreamException::Unknown), Action::End(Ending::Failed)]
        );
        assert_eq!(after_two(Fault::Stall { after_tokens: 2 }), [Action::HoldOpen]);
        assert_eq!(after_two(Fault::Drop { after_tokens: 2 }), [Action::Abort]);
    }

    /// The plan for a request carrying a guardrail in `mode`, with a trace asked for.
    fn guarded(fault: Fault, mode: Mode) -> Vec<Action> {
        let guardrail = crate::guardrail::GuardrailConfig { identifier: "g1".into(), mode, trace: true };
        let request = ConverseRequest {
            prompt: "about: owls".into(),
            input_tokens: 2,
            guardrail: Some(guardrail),
            ..Default::default()
        };
        let config = EmulatorConfig { story_words: 8, ..Default::default() };
        let steps = Plan::new(&request, &config, Some(fault), false, Instant::now()).steps;
        steps
            .into_iter()
            .flat_map(|step| match step.action {
                Action::Story { index, tokens, .. } => {
                    tokens.into_iter().map(|text| Action::Text { index, text }).collect::<Vec<_>>()
                }
                action => vec![action],
            })
            .collect()
    }

    fn texts(actions: &[Action]) -> Vec<&str> {
        actions
            .iter()
            .filter_map(|a| if let Action::Text { text, .. } = a { Some(text.as_str()) } else { None })
            .collect()
    }

    #[test]
    fn a_blocked_prompt_is_answered_with_the_blocked_input_message_alone() {
        for mode in [Mode::Sync, Mode::Async] {
            let actions = guarded(Fault::GuardrailInput, mode);
            assert_eq!(texts(&actions), [BLOCKED_INPUT_MESSAGE]);
            assert!(actions.contains(&Action::MessageStop(StopReason::GuardrailIntervened)));
            let Some(Action::Metadata { usage, trace: Some(trace), .. }) =
                actions.iter().find(|a| matches!(a, Action::Metadata { .. }))
            else {
                panic!("{actions:?}")
            };
            assert_eq!(usage.output_tokens, 0, "the model never ran");
            assert!(trace["guardrail"]["inputAssessment"]["g1"].is_object());
        }
    }

    #[test]
    fn a_blocked_answer_is_replaced_in_sync_mode_and_cut_after_the_flagged_text_in_async_mode() {
        let sync = guarded(Fault::GuardrailOutput { after_tokens: 2 }, Mode::Sync);
        assert_eq!(texts(&sync), ["Once", " upon", BLOCKED_OUTPUT_MESSAGE], "the flagged text was held back");
        let async_ = guarded(Fault::GuardrailOutput { after_tokens: 2 }, Mode::Async);
        assert_eq!(texts(&async_), ["Once", " upon", " a", " time"], "the flagged text already went out");
        for actions in [sync, async_] {
            let stop = actions.iter().position(|a| *a == Action::MessageStop(StopReason::GuardrailIntervened)).unwrap();
            let Action::Metadata { trace: Some(trace), .. } = &actions[stop + 1] else { panic!("{actions:?}") };
            assert!(trace["guardrail"]["outputAssessments"]["g1"][0]["topicPolicy"].is_object());
        }
    }
}
