"""The official `openai` Python package against the offline stack's OpenAI-compatible routes
(`/v1/chat/completions`, `/v1/models`): a conversation whose answer depends on its first turn,
streamed and not, usage through stream_options.include_usage, reasoning for an alias that shows
it, a failure part way, and each refusal as the package's own exception class."""

import unittest

import openai

from support import CONVERSATION, ECHOED, offline_stack, story_opening, thought, with_last

stack = client = None


def setUpModule():
    global stack, client
    stack = offline_stack()
    # No retries: each refusal below must surface as it was answered, once.
    client = openai.OpenAI(base_url=stack.url + "v1", api_key="unused-the-function-url-decides", max_retries=0)


def tearDownModule():
    client.close()
    stack.stop()


class OpenAIPython(unittest.TestCase):
    def test_lists_the_stacks_aliases_as_models(self):
        models = list(client.models.list())
        self.assertEqual(sorted(m.id for m in models), ["clever", "fast"])
        for model in models:
            self.assertEqual(model.object, "model")
            self.assertIsInstance(model.created, int)
            self.assertIsInstance(model.owned_by, str)

    def test_answers_a_three_turn_conversation_from_every_turn_not_streamed(self):
        completion = client.chat.completions.create(model="fast", messages=CONVERSATION)
        self.assertEqual(completion.object, "chat.completion")
        [choice] = completion.choices
        self.assertEqual(choice.message.role, "assistant")
        self.assertEqual(choice.message.content, ECHOED, "the first turn reached Bedrock")
        self.assertEqual(choice.finish_reason, "stop")
        self.assertEqual(completion.usage.completion_tokens, len(ECHOED.split(" ")), "one emulated token a word")
        self.assertGreater(completion.usage.prompt_tokens, 0)
        self.assertEqual(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens)

    def test_streams_the_same_answer_in_chunks_of_one_id_the_role_first_usage_last(self):
        stream = client.chat.completions.create(model="fast", messages=CONVERSATION, stream=True, stream_options={"include_usage": True})
        chunks = list(stream)
        self.assertGreater(len(chunks), 10)
        self.assertEqual(len({c.id for c in chunks}), 1, "one id for the whole answer")
        self.assertEqual(len({c.created for c in chunks}), 1)
        self.assertEqual(chunks[0].choices[0].delta.role, "assistant")
        *answer, usage = chunks
        self.assertEqual(usage.choices, [], "the usage chunk has no choices")
        self.assertEqual(usage.usage.completion_tokens, len(ECHOED.split(" ")))
        self.assertEqual("".join(c.choices[0].delta.content or "" for c in answer), ECHOED)
        self.assertEqual([c.choices[0].finish_reason for c in answer if c.choices[0].finish_reason], ["stop"])
        self.assertEqual(answer[-1].choices[0].finish_reason, "stop")

    def test_streams_no_usage_unless_asked(self):
        chunks = list(client.chat.completions.create(model="fast", messages=CONVERSATION, stream=True))
        self.assertTrue(all(len(c.choices) == 1 and c.usage is None for c in chunks))

    def test_streams_the_reasoning_of_an_alias_that_shows_it_before_the_answer(self):
        stream = client.chat.completions.create(model="clever", messages=[{"role": "user", "content": "Tell me a story about owls."}], stream=True)
        deltas = [c.choices[0].delta for c in stream]
        # reasoning_content is not a field of OpenAI's own types: the package keeps it as an extra field.
        reasoning = [getattr(d, "reasoning_content", None) or "" for d in deltas]
        content = [d.content or "" for d in deltas]
        self.assertTrue("".join(reasoning).startswith(thought("owls")), "".join(reasoning))
        self.assertTrue("".join(content).startswith(story_opening("owls")), "".join(content))
        self.assertNotIn(thought("owls"), "".join(content), "reasoning is not mixed into the answer")
        last_reasoning = max(i for i, r in enumerate(reasoning) if r)
        first_content = min(i for i, c in enumerate(content) if c)
        self.assertLess(last_reasoning, first_content, "all the reasoning comes first")

    def test_a_failure_part_way_of_a_stream_raises_APIError_after_the_text_so_far(self):
        stream = client.chat.completions.create(model="fast", messages=with_last("And now? fault_midstream_error"), stream=True)
        text = ""
        with self.assertRaises(openai.APIError) as raised:
            for chunk in stream:
                if chunk.choices:
                    text += chunk.choices[0].delta.content or ""
        self.assertNotIsInstance(raised.exception, openai.APIStatusError, "the status was 200: the failure came inside the stream")
        self.assertRegex(raised.exception.message, "model stream failed")
        self.assertEqual(len(text.split(" ")), 3, f"the three words before the failure arrived: {text!r}")

    def test_a_failure_part_way_not_streamed_is_a_502_never_a_truncated_completion(self):
        with self.assertRaises(openai.InternalServerError) as raised:
            client.chat.completions.create(model="fast", messages=with_last("Go on. fault_midstream_error"))
        self.assertEqual(raised.exception.status_code, 502)
        self.assertRegex(raised.exception.message, "model stream failed")

    def refused(self, exception_class, status, **request):
        with self.assertRaises(exception_class) as raised:
            client.chat.completions.create(**{"model": "fast", "messages": CONVERSATION, **request})
        error = raised.exception
        self.assertEqual(error.status_code, status)
        self.assertIsInstance(error.body["message"], str)
        self.assertIsInstance(error.body["type"], str)
        return error

    def test_a_bad_request_is_BadRequestError_naming_the_parameter(self):
        error = self.refused(openai.BadRequestError, 400, n=2)
        self.assertEqual(error.param, "n")
        self.assertEqual(error.response.headers.get("x-should-retry"), "false")

    def test_an_unknown_model_is_NotFoundError(self):
        error = self.refused(openai.NotFoundError, 404, model="no-such-alias")
        self.assertIn("no-such-alias", error.message)

    def test_bedrocks_quota_refusal_is_RateLimitError(self):
        self.refused(openai.RateLimitError, 429, messages=[{"role": "user", "content": "Hello. fault_quota_exceeded"}])

    def test_a_model_bedrock_refuses_is_APIStatusError_502(self):
        error = self.refused(openai.APIStatusError, 502, messages=[{"role": "user", "content": "Hello. fault_access_denied"}])
        self.assertEqual(error.code, "model_access_denied")


if __name__ == "__main__":
    unittest.main()
