//! File helpers shared by everything that writes or reads wgkeras files (`.npy`/`.npz`,
//! `.keras` bundles, `.safetensors` weights, checkpoints, logs):
//!
//! - [`write_atomically`]: the file is written under a temporary name in the target folder and
//!   renamed over the target once complete and synced, so a crash or an error mid-write leaves
//!   the previous file intact;
//! - [`read_zip_member`]: one member of a zip archive, read with a cap on its decompressed size
//!   (a zip bomb or a member that lies about its size is an error, never an allocation bomb).

use std::fs::{self, File};
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::utils::archive::unique_sibling;

/// Writes `path` through a temporary sibling renamed over it once `fill` succeeded. `fill`'s
/// error message becomes an [`Error::Format`] naming `op` and the path; on any error the
/// temporary file is removed and `path` is untouched.
pub fn write_atomically(
    op: &'static str,
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<(), String>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::arg(op, format!("{} is not a file path", path.display())))?
        .to_string_lossy()
        .into_owned();
    let tmp = unique_sibling(&dir, &name, "writing")?;
    let result = (|| {
        let f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::io(op, path, e))?;
        let mut w = BufWriter::new(f);
        fill(&mut w).map_err(|m| Error::format(op, path, m))?;
        let f = w.into_inner().map_err(|e| Error::io(op, path, e.into_error()))?;
        f.sync_all().map_err(|e| Error::io(op, path, e))?;
        fs::rename(&tmp, path).map_err(|e| Error::io(op, path, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// [`write_atomically`] of a byte buffer.
pub fn write_bytes_atomically(op: &'static str, path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(op, path, |w| w.write_all(bytes).map_err(|e| e.to_string()))
}

/// The largest ratio of decompressed to compressed size that DEFLATE can reach is about 1032:1;
/// a member that claims more is lying (a zip bomb).
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Reads member `index` of `zip` (its name and bytes), refusing a member whose declared size is
/// over `cap` bytes or impossible for its compressed size, and one that decompresses to more
/// (or less) than it declares. Errors are plain messages for the caller to wrap.
pub fn read_zip_member<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    cap: u64,
) -> std::result::Result<(String, Vec<u8>), String> {
    let member = zip.by_index(index).map_err(|e| format!("member {index}: {e}"))?;
    let name = member.name().map_err(|e| format!("member {index}: bad name: {e}"))?.into_owned();
    let declared = member.size();
    let compressed = member.compressed_size();
    if declared > cap {
        return Err(format!("member {name:?} declares {declared} bytes, over the limit of {cap}"));
    }
    if declared > compressed.saturating_mul(MAX_DEFLATE_RATIO).saturating_add(1024) {
        return Err(format!(
            "member {name:?} declares {declared} bytes from {compressed} compressed bytes, an impossible ratio"
        ));
    }
    // The declared sizes are claims: reserve little and let the vector grow with the data that
    // really arrives (bounded by `declared`, itself bounded by the compressed size).
    let mut bytes = Vec::with_capacity(declared.min(1 << 20) as usize);
    let mut limited = member.take(declared + 1);
    limited.read_to_end(&mut bytes).map_err(|e| format!("member {name:?}: {e}"))?;
    if bytes.len() as u64 != declared {
        return Err(format!("member {name:?} declares {declared} bytes but holds at least {}", bytes.len()));
    }
    Ok((name, bytes))
}
