// StoryGuardrail's arguments: the Bedrock guardrail a stack creates (stack config `guardrail`, JSON
// text). Their rules, and the filter types and strengths, are in settings.ts
// (guardrailSpecProblems); the component is guardrail.ts.

import type { ContentFilterType, FilterStrength } from "./settings";

/** A subject the guardrail refuses, prompt or answer (GuardrailTopicConfig, type DENY). */
export interface DeniedTopic {
    /** 1 to 100 characters of letters, digits, space and `-_!?.`; what the trace names. */
    name: string;
    /** 1 to 200 characters saying what the topic is. */
    definition: string;
    /** Up to 5 example prompts of the topic, each 1 to 100 characters. */
    examples?: string[];
}

/** A guardrail the stack creates and publishes as a version. */
export interface GuardrailSpec {
    /** Filter type → strength, for prompts and answers alike (PROMPT_ATTACK: prompts only). */
    contentFilters: Partial<Record<ContentFilterType, FilterStrength>>;
    deniedTopics?: DeniedTopic[];
    /** What the caller gets instead of an answer when the guardrail blocks the prompt (1 to 500 characters). */
    blockedInputMessage: string;
    /** What replaces an answer the guardrail blocks (1 to 500 characters). */
    blockedOutputMessage: string;
}
