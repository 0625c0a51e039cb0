// The function's package with the stack's system-prompt files added next to `bootstrap`
// (systemPromptFile, chatSystemPromptFile), written as a new zip beside the one `just build` made.
//
// Not a Pulumi AssetArchive of the package and the files: the engine re-zips such an archive entry
// by entry with no file modes (pulumi/pulumi sdk/go/common/resource/archive/archive.go,
// addNextFileToZIP; pulumi/pulumi#3593, read 2026-12-07), and Lambda's provided runtime cannot
// start a `bootstrap` that lost its executable bit. Here the package's own entries are kept byte
// for byte and each file is appended with mode 0644 (Lambda needs the package's files readable), and
// a FileArchive of a .zip is uploaded as it is. The output depends only on its inputs (a fixed
// timestamp), so an unchanged prompt previews as no change.

import * as fs from "node:fs";
import * as zlib from "node:zlib";

/** A file to add: its name in the package and its contents. */
export interface PackedFile {
    name: string;
    data: Buffer;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const END_RECORD_BYTES = 22;
const DEFLATE = 8;
/** General-purpose flag 11: the name is UTF-8. */
const UTF8_NAME = 0x0800;
const VERSION_NEEDED = 20;
/** Made by Unix (3), spec 2.0: the external attributes hold a Unix mode. */
const MADE_BY_UNIX = (3 << 8) | VERSION_NEEDED;
/** A regular file, rw-r--r--, in the external attributes' high half. */
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;
/** 1980-01-01 00:00, the earliest MS-DOS date: fixed, so the same inputs make the same bytes. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** `zip` with `files` appended (after its own entries, which are kept as they are). Throws on what is not a zip this can extend. */
export function appendToZip(zip: Buffer, files: PackedFile[], what = "the Lambda package"): Buffer {
    let end = -1;
    for (let at = zip.length - END_RECORD_BYTES; at >= Math.max(0, zip.length - END_RECORD_BYTES - 0xffff); at--) {
        if (zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
            end = at;
            break;
        }
    }
    if (end < 0) throw new Error(`${what} is not a zip file`);
    const entries = zip.readUInt16LE(end + 10);
    const directorySize = zip.readUInt32LE(end + 12);
    const directoryOffset = zip.readUInt32LE(end + 16);
    if (entries === 0xffff || directoryOffset === 0xffffffff || directoryOffset + directorySize > end) {
        throw new Error(`${what} is a ZIP64 or split zip, which the stack cannot add system-prompt files to`);
    }
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = directoryOffset;
    for (const file of files) {
        const name = Buffer.from(file.name, "utf8");
        const compressed = zlib.deflateRawSync(file.data);
        const crc = zlib.crc32(file.data);
        const local = Buffer.alloc(30);
        local.writeUInt32LE(LOCAL_HEADER, 0);
        local.writeUInt16LE(VERSION_NEEDED, 4);
        local.writeUInt16LE(UTF8_NAME, 6);
        local.writeUInt16LE(DEFLATE, 8);
        local.writeUInt16LE(DOS_TIME, 10);
        local.writeUInt16LE(DOS_DATE, 12);
        local.writeUInt32LE(crc, 14);
        local.writeUInt32LE(compressed.length, 18);
        local.writeUInt32LE(file.data.length, 22);
        local.writeUInt16LE(name.length, 26);
        local.writeUInt16LE(0, 28);
        const central = Buffer.alloc(46);
        central.writeUInt32LE(CENTRAL_HEADER, 0);
        central.writeUInt16LE(MADE_BY_UNIX, 4);
        central.writeUInt16LE(VERSION_NEEDED, 6);
        central.writeUInt16LE(UTF8_NAME, 8);
        central.writeUInt16LE(DEFLATE, 10);
        central.writeUInt16LE(DOS_TIME, 12);
        central.writeUInt16LE(DOS_DATE, 14);
        central.writeUInt32LE(crc, 16);
        central.writeUInt32LE(compressed.length, 20);
        central.writeUInt32LE(file.data.length, 24);
        central.writeUInt16LE(name.length, 28);
        // Extra field, comment, disk number and internal attributes: none, 0.
        central.writeUInt32LE(REGULAR_FILE_0644, 38);
        central.writeUInt32LE(offset, 42);
        locals.push(local, name, compressed);
        centrals.push(central, name);
        offset += local.length + name.length + compressed.length;
    }
    const newDirectory = Buffer.concat([zip.subarray(directoryOffset, directoryOffset + directorySize), ...centrals]);
    const record = Buffer.alloc(END_RECORD_BYTES);
    record.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
    record.writeUInt16LE(entries + files.length, 8);
    record.writeUInt16LE(entries + files.length, 10);
    record.writeUInt32LE(newDirectory.length, 12);
    record.writeUInt32LE(offset, 16);
    return Buffer.concat([zip.subarray(0, directoryOffset), ...locals, newDirectory, record]);
}

/**
 * The package to deploy: `codeZip` itself when there is nothing to add, else a zip beside it
 * (`<name>-with-system-prompts.zip`) holding its entries and `files` (name in the package → file
 * on this machine).
 */
export function packageWithFiles(codeZip: string, files: Record<string, string>): string {
    const names = Object.keys(files).sort();
    if (names.length === 0) return codeZip;
    const packed = appendToZip(
        fs.readFileSync(codeZip),
        names.map((name) => ({ name, data: fs.readFileSync(files[name]) })),
        codeZip,
    );
    const out = codeZip.replace(/\.zip$/, "") + "-with-system-prompts.zip";
    fs.writeFileSync(out, packed);
    return out;
}
