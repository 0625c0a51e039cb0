//! What a deployment zip weighs: the file itself (what Lambda downloads on a cold start) and the
//! uncompressed `bootstrap` inside (the binary, comparable with other functions' binaries). Only
//! the zip's central directory is read, which is all that takes.

use std::path::Path;

pub struct ZipSizes {
    pub file: u64,
    pub bootstrap: u64,
}

pub fn sizes(path: &Path) -> Result<ZipSizes, String> {
    let zip = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bootstrap =
        uncompressed_size(&zip, "bootstrap").ok_or_else(|| format!("{}: no `bootstrap` entry", path.display()))?;
    Ok(ZipSizes { file: zip.len() as u64, bootstrap })
}

const END_OF_DIRECTORY: &[u8] = b"PK\x05\x06";
const DIRECTORY_ENTRY: &[u8] = b"PK\x01\x02";
const END_OF_DIRECTORY_LEN: usize = 22;
const DIRECTORY_ENTRY_LEN: usize = 46;

/// The uncompressed size of entry `name`; `None` if there is no such entry or the zip is not
/// one this can read (zip64 never occurs for a Lambda bootstrap).
fn uncompressed_size(zip: &[u8], name: &str) -> Option<u64> {
    // The end-of-directory record is the last thing in the file, before a comment of up to 64 KiB.
    let earliest = zip.len().saturating_sub(END_OF_DIRECTORY_LEN + u16::MAX as usize);
    let end = (earliest..=zip.len().checked_sub(END_OF_DIRECTORY_LEN)?)
        .rev()
        .find(|&at| zip[at..].starts_with(END_OF_DIRECTORY))?;
    let entries = u16_at(zip, end + 10)?;
    let mut at = u32_at(zip, end + 16)? as usize;
    for _ in 0..entries {
        if !zip.get(at..)?.starts_with(DIRECTORY_ENTRY) {
            return None;
        }
        let size = u32_at(zip, at + 24)?;
        let name_len = u16_at(zip, at + 28)? as usize;
        let extra_len = u16_at(zip, at + 30)? as usize;
        let comment_len = u16_at(zip, at + 32)? as usize;
        let entry_name = zip.get(at + DIRECTORY_ENTRY_LEN..at + DIRECTORY_ENTRY_LEN + name_len)?;
        if entry_name == name.as_bytes() && size != u32::MAX {
            return Some(u64::from(size));
        }
        at += DIRECTORY_ENTRY_LEN + name_len + extra_len + comment_len;
    }
    None
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip as far as the reader looks: some entry data, the central directory, the end record.
    fn zip(entries: &[(&str, u32)], comment: &[u8]) -> Vec<u8> {
        let mut zip = b"local headers and compressed data".to_vec();
        let directory_at = zip.len() as u32;
        for (name, size) in entries {
            let mut entry = vec![0; DIRECTORY_ENTRY_LEN];
            entry[..4].copy_from_slice(DIRECTORY_ENTRY);
            entry[20..24].copy_from_slice(&(size / 3).to_le_bytes());
            entry[24..28].copy_from_slice(&size.to_le_bytes());
            entry[28..30].copy_from_slice(&(name.len() as u16).to_le_bytes());
            entry[30..32].copy_from_slice(&4u16.to_le_bytes());
            entry.extend_from_slice(name.as_bytes());
            entry.extend_from_slice(b"xtra");
            zip.extend_from_slice(&entry);
        }
        let mut end = vec![0; END_OF_DIRECTORY_LEN];
        end[..4].copy_from_slice(END_OF_DIRECTORY);
        end[10..12].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        end[16..20].copy_from_slice(&directory_at.to_le_bytes());
        end[20..22].copy_from_slice(&(comment.len() as u16).to_le_bytes());
        zip.extend_from_slice(&end);
        zip.extend_from_slice(comment);
        zip
    }

    #[test]
    fn finds_the_named_entry_after_others() {
        let zip = zip(&[("README", 10), ("bootstrap", 6_543_210)], b"");
        assert_eq!(uncompressed_size(&zip, "bootstrap"), Some(6_543_210));
        assert_eq!(uncompressed_size(&zip, "README"), Some(10));
        assert_eq!(uncompressed_size(&zip, "missing"), None);
    }

    #[test]
    fn skips_a_trailing_comment() {
        let zip = zip(&[("bootstrap", 42)], b"built by cargo-lambda");
        assert_eq!(uncompressed_size(&zip, "bootstrap"), Some(42));
    }

    #[test]
    fn garbage_is_not_a_zip() {
        assert_eq!(uncompressed_size(b"not a zip at all, not even close", "bootstrap"), None);
        assert_eq!(uncompressed_size(b"", "bootstrap"), None);
    }
}
