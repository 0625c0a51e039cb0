// The bedrock-streamer stack: read the stack's config, create the component, export what the
// justfile's invoke/logs recipes and callers need.

import * as pulumi from "@pulumi/pulumi";

import { readStreamerArgs } from "./config";
import { BedrockStreamer } from "./streamer";

const streamer = new BedrockStreamer("bedrock-streamer", readStreamerArgs(new pulumi.Config(), __dirname));

export const url = streamer.url;
export const functionName = streamer.functionName;
export const logGroupName = streamer.logGroupName;
export const region = streamer.region;
export const authType = streamer.authType;
export const modelId = streamer.modelId;
