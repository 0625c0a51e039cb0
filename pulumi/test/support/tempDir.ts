// A temporary folder per use that does not outlive the test file: node:test runs each test file in
// a process of its own, so one exit hook removes every folder the file made.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const made: string[] = [];
process.once("exit", () => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A new, empty folder under the system's temporary directory, named `<prefix>XXXXXX`; removed when the process exits. */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
}

/**
 * A stand-in for the package `just build` writes (unit tests do not build it): an empty zip,
 * `bootstrap.zip` in a new temporary folder; its path.
 */
export function packageStandIn(): string {
    const zip = path.join(tempDir("bedrock-streamer-"), "bootstrap.zip");
    fs.writeFileSync(zip, "PK\x05\x06" + "\0".repeat(18));
    return zip;
}
