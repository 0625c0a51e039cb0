"""LangChain's ChatOpenAI (the `langchain-openai` package) against the offline stack's
`/v1/chat/completions`: a conversation whose answer depends on its first turn, invoked and
streamed, usage, an alias that shows reasoning, and a failure part way."""

import unittest

import openai
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from support import ECHOED, offline_stack, story_opening, thought

stack = None

#: support.CONVERSATION as LangChain messages.
MESSAGES = [
    SystemMessage("Answer in one line."),
    HumanMessage("My name is Otto."),
    AIMessage("Hello Otto."),
    HumanMessage("What is my name? echo_conversation"),
]


def setUpModule():
    global stack
    stack = offline_stack()


def tearDownModule():
    stack.stop()


def chat(model="fast", **options):
    return ChatOpenAI(model=model, base_url=stack.url + "v1", api_key="unused-the-function-url-decides", max_retries=0, **options)


class LangChainChatOpenAI(unittest.TestCase):
    def test_invoke_answers_a_three_turn_conversation_from_every_turn(self):
        answer = chat().invoke(MESSAGES)
        self.assertEqual(answer.content, ECHOED, "the first turn reached Bedrock")
        self.assertEqual(answer.response_metadata["finish_reason"], "stop")
        self.assertEqual(answer.usage_metadata["output_tokens"], len(ECHOED.split(" ")))
        self.assertGreater(answer.usage_metadata["input_tokens"], 0)

    def test_stream_yields_the_same_answer_in_pieces_then_usage(self):
        chunks = list(chat(stream_usage=True).stream(MESSAGES))
        self.assertGreater(len([c for c in chunks if c.content]), 10)
        self.assertEqual("".join(c.content for c in chunks), ECHOED)
        whole = sum(chunks[1:], chunks[0])
        self.assertEqual(whole.usage_metadata["output_tokens"], len(ECHOED.split(" ")))
        self.assertEqual(whole.response_metadata["finish_reason"], "stop")

    def test_an_alias_that_shows_reasoning_still_streams_only_the_answer_as_content(self):
        # ChatOpenAI keeps no `reasoning_content` (its documented scope: OpenAI's own fields), so a
        # LangChain caller gets the answer alone, never the reasoning mixed into it.
        text = "".join(c.content for c in chat("clever").stream([HumanMessage("Tell me a story about owls.")]))
        self.assertTrue(text.startswith(story_opening("owls")), text)
        self.assertNotIn(thought("owls"), text)

    def test_a_failure_part_way_raises_the_openai_error_after_the_text_so_far(self):
        messages = [*MESSAGES[:3], HumanMessage("And now? fault_midstream_error")]
        text = ""
        with self.assertRaises(openai.APIError) as raised:
            for chunk in chat().stream(messages):
                text += chunk.content
        self.assertRegex(raised.exception.message, "model stream failed")
        self.assertEqual(len(text.split(" ")), 3, f"the three words before the failure arrived: {text!r}")
        with self.assertRaises(openai.InternalServerError) as raised:
            chat().invoke(messages)
        self.assertEqual(raised.exception.status_code, 502)


if __name__ == "__main__":
    unittest.main()
