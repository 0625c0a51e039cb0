// Where a Function URL can exist. Its own module, free of Pulumi, because both the program's checks
// (streamerArgs.ts) and the deploy recipes' preflight (preflight.ts, before `just deploy` spends a
// release build) ask it.

/**
 * Regions where Lambda offers no Function URLs, so the stack's URL cannot be created there
 * (Lambda developer guide, "Creating and managing Lambda function URLs", read 2026-11; the list
 * shrinks as AWS adds regions).
 */
export const REGIONS_WITHOUT_FUNCTION_URLS: readonly string[] = [
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
];

/** Why the stack cannot serve its stream from `region`, or undefined when Lambda offers Function URLs there. */
export function functionUrlRegionProblem(region: string): string | undefined {
    if (!REGIONS_WITHOUT_FUNCTION_URLS.includes(region)) return undefined;
    return (
        `Lambda offers no Function URLs in ${region}, so the stack cannot serve its stream there; ` +
        `deploy to a region not in ${REGIONS_WITHOUT_FUNCTION_URLS.join(", ")} (Lambda developer guide, read 2026-11)`
    );
}
