"""The emulator through boto3, an SDK nobody here wrote: a story streams as botocore's typed
events, and Bedrock's errors arrive as botocore's exception classes with Bedrock's messages.

Usage: python3 boto3_client.py ENDPOINT  (run by `just test-clients`; exits non-zero on failure)
"""

import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"


def client(endpoint):
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


def user(text):
    return {"role": "user", "content": [{"text": text}]}


def stream(bedrock, prompt, messages=None):
    response = bedrock.converse_stream(modelId=MODEL_ID, messages=messages or [user(prompt)])
    return list(response["stream"])


def error_of(call):
    try:
        call()
    except (ClientError, EventStreamError) as error:
        return error
    raise AssertionError("the call succeeded")


def main(endpoint):
    bedrock = client(endpoint)

    events = stream(bedrock, "Tell me a story about: sea otters")
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart" and kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"], kinds
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text.startswith("Once upon a time there was a story about sea otters."), text
    usage = events[-1]["metadata"]["usage"]
    assert usage["outputTokens"] == 60 and usage["totalTokens"] == usage["inputTokens"] + 60, usage

    thinking = stream(bedrock, "fault_reasoning about: owls")
    reasoning = [e["contentBlockDelta"]["delta"]["reasoningContent"] for e in thinking
                 if "reasoningContent" in e.get("contentBlockDelta", {}).get("delta", {})]
    assert reasoning[0]["text"] and "signature" in reasoning[-1], reasoning

    throttled = error_of(lambda: stream(bedrock, "fault_throttling"))
    assert throttled.response["Error"]["Code"] == "ThrottlingException", throttled.response
    assert throttled.response["Error"]["Message"] == "Too many tokens per day, please wait before trying again."
    assert throttled.response["ResponseMetadata"]["HTTPStatusCode"] == 429

    quota = error_of(lambda: stream(bedrock, "fault_quota_exceeded"))
    assert quota.response["Error"]["Code"] == "ServiceQuotaExceededException", quota.response
    assert quota.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    ended = error_of(lambda: stream(bedrock, "fault_end_of_life"))
    assert isinstance(ended, bedrock.exceptions.ResourceNotFoundException), ended
    assert "reached the end of its life" in ended.response["Error"]["Message"]

    midstream = error_of(lambda: stream(bedrock, "fault_midstream_error"))
    assert isinstance(midstream, EventStreamError), midstream
    assert midstream.response["Error"]["Code"] == "modelStreamErrorException", midstream.response

    two_users = error_of(lambda: stream(bedrock, None, [user("one"), user("two")]))
    assert isinstance(two_users, bedrock.exceptions.ValidationException), two_users
    assert "must alternate between user and assistant" in two_users.response["Error"]["Message"]

    print(f"boto3 {boto3.__version__}: story, reasoning, 5 errors ok")


if __name__ == "__main__":
    main(sys.argv[1])
