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
// API_KEY and COGNITO stacks only (undefined, so absent, on the others): see docs/deploy.md.
export const apiUrl = streamer.apiUrl;
export const accessLogGroupName = streamer.accessLogGroupName;
export const apiKeyIds = streamer.apiKeyIds;
export const userPoolId = streamer.userPoolId;
export const userPoolClientId = streamer.userPoolClientId;
