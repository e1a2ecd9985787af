//! Safe extraction of tar (plain, gzip, bzip2) and zip archives, as `keras.utils.get_file`
//! does with `extract=True`.
//!
//! Safety rules, stricter than Python's `extractall`:
//! - the archive is extracted into a fresh temporary folder beside the destination, which is
//!   renamed into place only when every entry went in; on any error it is removed;
//! - an entry whose path is absolute or climbs out with `..` is refused with an
//!   [`Error::UnsafeArchiveEntry`] naming it (Keras skips such entries with a warning);
//! - symbolic links are created after every file and folder, never through another link, and
//!   each must resolve (following the links already there) inside the folder; hard links must
//!   name a file extracted before them;
//! - devices, FIFOs and other special entries are refused.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

const OP: &str = "extract_archive";

/// An archive family to try, as Keras's `archive_format` names them. `Tar` covers plain tar,
/// tar.gz and tar.bz2 (the compression is detected from the content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveFormat {
    Tar,
    Zip,
}

impl ArchiveFormat {
    /// What Keras's `archive_format="auto"` tries, in order.
    pub const AUTO: [ArchiveFormat; 2] = [ArchiveFormat::Tar, ArchiveFormat::Zip];

    pub fn name(self) -> &'static str {
        match self {
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::Zip => "zip",
        }
    }

    /// Parses Keras's string forms: `"auto"` (tar then zip), `"tar"`, `"zip"`, and `"none"` or
    /// `""` (nothing: no archive will match).
    pub fn parse_list(s: &str) -> Result<Vec<ArchiveFormat>> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::AUTO.to_vec()),
            "tar" => Ok(vec![ArchiveFormat::Tar]),
            "zip" => Ok(vec![ArchiveFormat::Zip]),
            "none" | "" => Ok(Vec::new()),
            other => Err(Error::arg(
                "archive_format",
                format!("unknown archive format {other:?}; expected \"auto\", \"tar\", \"zip\" or \"none\""),
            )),
        }
    }
}

impl std::str::FromStr for ArchiveFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "tar" => Ok(ArchiveFormat::Tar),
            "zip" => Ok(ArchiveFormat::Zip),
            other => Err(Error::arg(
                "archive_format",
                format!("unknown archive format {other:?}; expected \"tar\" or \"zip\""),
            )),
        }
    }
}

impl std::fmt::Display for ArchiveFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TarCompression {
    None,
    Gzip,
    Bzip2,
}

/// Which of `formats` the file at `path` is, trying them in order (Keras's
/// `is_tarfile`/`is_zipfile` checks); `None` when none matches.
pub fn detect_archive(path: &Path, formats: &[ArchiveFormat]) -> Result<Option<ArchiveFormat>> {
    for &format in formats {
        let matched = match format {
            ArchiveFormat::Tar => sniff_tar(path)?.is_some(),
            ArchiveFormat::Zip => is_zip(path)?,
        };
        if matched {
            return Ok(Some(format));
        }
    }
    Ok(None)
}

/// Extracts the archive `file` into the folder `dest`, trying `formats` in order like Keras's
/// `extract_archive`. Returns `Ok(false)` when no format matched (nothing is written), and
/// `Ok(true)` once `dest` holds the archive's content. An existing `dest` is replaced as a
/// whole (Keras merges into it instead), only after the new content is complete.
pub fn extract_archive(file: &Path, dest: &Path, formats: &[ArchiveFormat]) -> Result<bool> {
    let Some(format) = detect_archive(file, formats)? else {
        return Ok(false);
    };
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io(OP, &parent, e))?;
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = unique_sibling(&parent, &name, "extracting")?;
    fs::create_dir(&tmp).map_err(|e| Error::io(OP, &tmp, e))?;
    let result = (|| {
        let mut ex = Extractor { archive: file, root: &tmp, links: Vec::new() };
        match format {
            ArchiveFormat::Tar => {
                let compression = sniff_tar(file)?.unwrap_or(TarCompression::None);
                ex.tar(compression)?
            }
            ArchiveFormat::Zip => ex.zip()?,
        }
        ex.make_links()?;
        replace_dir(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result.map(|()| true)
}

/// A path beside the others in `dir` that does not exist yet: `.{name}.{tag}-{pid}-{n}`.
pub(crate) fn unique_sibling(dir: &Path, name: &str, tag: &str) -> Result<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for _ in 0..1000 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let p = dir.join(format!(".{name}.{tag}-{}-{nanos}-{n}", std::process::id()));
        if fs::symlink_metadata(&p).is_err() {
            return Ok(p);
        }
    }
    Err(Error::io(OP, dir, io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name")))
}

/// Moves the complete folder `tmp` to `dest`, replacing whatever `dest` was.
fn replace_dir(tmp: &Path, dest: &Path) -> Result<()> {
    match fs::symlink_metadata(dest) {
        Err(_) => {}
        Ok(meta) => {
            let parent = dest.parent().unwrap_or(Path::new("."));
            let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let old = unique_sibling(parent, &name, "old")?;
            fs::rename(dest, &old).map_err(|e| Error::io(OP, dest, e))?;
            if let Err(e) = fs::rename(tmp, dest) {
                let _ = fs::rename(&old, dest);
                return Err(Error::io(OP, dest, e));
            }
            let _ = if meta.is_dir() { fs::remove_dir_all(&old) } else { fs::remove_file(&old) };
            return Ok(());
        }
    }
    fs::rename(tmp, dest).map_err(|e| Error::io(OP, dest, e))
}

fn read_prefix(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Whether the file is a tar archive (plain, gzip or bzip2), by its first header's checksum.
fn sniff_tar(path: &Path) -> Result<Option<TarCompression>> {
    let mut f = File::open(path).map_err(|e| Error::io(OP, path, e))?;
    let magic = read_prefix(&mut f, 3).map_err(|e| Error::io(OP, path, e))?;
    f.seek(SeekFrom::Start(0)).map_err(|e| Error::io(OP, path, e))?;
    let (compression, head) = if magic.starts_with(&[0x1f, 0x8b]) {
        (TarCompression::Gzip, read_prefix(&mut flate2::read::GzDecoder::new(f), 512))
    } else if magic.starts_with(b"BZh") {
        (TarCompression::Bzip2, read_prefix(&mut bzip2::read::BzDecoder::new(f), 512))
    } else {
        (TarCompression::None, read_prefix(&mut f, 512))
    };
    // A decompression error means "not this format", as in Python's is_tarfile.
    Ok(match head {
        Ok(h) if h.len() == 512 && tar_checksum_ok(&h) => Some(compression),
        _ => None,
    })
}

fn tar_checksum_ok(h: &[u8]) -> bool {
    if h.iter().all(|&b| b == 0) {
        return false;
    }
    let field = &h[148..156];
    let digits: String =
        field.iter().map(|&b| b as char).skip_while(|c| *c == ' ').take_while(|c| c.is_digit(8)).collect();
    let Ok(stored) = i64::from_str_radix(&digits, 8) else {
        return false;
    };
    let unsigned: i64 =
        h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { b as i64 }).sum();
    let signed: i64 =
        h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { b as i8 as i64 }).sum();
    stored == unsigned || stored == signed
}

fn is_zip(path: &Path) -> Result<bool> {
    let f = File::open(path).map_err(|e| Error::io(OP, path, e))?;
    Ok(zip::ZipArchive::new(BufReader::new(f)).is_ok())
}

/// A relative path made of plain names, or why the entry name is unsafe.
fn safe_relative(name: &str) -> std::result::Result<PathBuf, String> {
    let path = Path::new(name);
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for comp in path.components() {
        match comp {
            Component::Prefix(_) | Component::RootDir => {
                return Err("absolute path: it would be written outside the extraction folder".into())
            }
            Component::CurDir => {}
            Component::ParentDir => {
                if depth == 0 {
                    return Err("its path climbs out of the extraction folder with '..'".into());
                }
                depth -= 1;
                out.pop();
            }
            Component::Normal(n) => {
                depth += 1;
                out.push(n);
            }
        }
    }
    Ok(out)
}

/// A link entry waiting for every file and folder to be in place.
struct PendingLink {
    entry: String,
    rel: PathBuf,
    target: PathBuf,
}

struct Extractor<'a> {
    archive: &'a Path,
    root: &'a Path,
    links: Vec<PendingLink>,
}

impl Extractor<'_> {
    fn refuse(&self, entry: &str, why: impl Into<String>) -> Error {
        Error::UnsafeArchiveEntry {
            op: OP,
            path: self.archive.to_path_buf(),
            entry: entry.to_string(),
            why: why.into(),
        }
    }

    fn rel(&self, entry: &str) -> Result<PathBuf> {
        safe_relative(entry).map_err(|why| self.refuse(entry, why))
    }

    fn read_err(&self, e: impl std::fmt::Display) -> Error {
        Error::archive(OP, self.archive, format!("cannot read the archive: {e}"))
    }

    fn make_parent(&self, dst: &Path) -> Result<()> {
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(OP, parent, e))?;
        }
        Ok(())
    }

    fn make_dir(&self, rel: &Path) -> Result<()> {
        let dst = self.root.join(rel);
        fs::create_dir_all(&dst).map_err(|e| Error::io(OP, &dst, e))
    }

    /// Writes one regular file (no link exists in the tree yet, so nothing escapes).
    fn write_file(&self, entry: &str, rel: &Path, data: &mut dyn Read, mode: Option<u32>) -> Result<()> {
        if rel.as_os_str().is_empty() {
            return Err(self.refuse(entry, "a file entry with no name"));
        }
        let dst = self.root.join(rel);
        self.make_parent(&dst)?;
        if let Ok(meta) = fs::symlink_metadata(&dst) {
            if meta.is_dir() {
                return Err(self.refuse(entry, "a file entry where a folder was already extracted"));
            }
            fs::remove_file(&dst).map_err(|e| Error::io(OP, &dst, e))?;
        }
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&dst)
            .map_err(|e| Error::io(OP, &dst, e))?;
        io::copy(data, &mut out).map_err(|e| self.read_err(format!("entry {entry:?}: {e}")))?;
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::PermissionsExt;
            let perm = fs::Permissions::from_mode((mode & 0o777) | 0o600);
            fs::set_permissions(&dst, perm).map_err(|e| Error::io(OP, &dst, e))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        Ok(())
    }

    fn tar(&mut self, compression: TarCompression) -> Result<()> {
        let f = File::open(self.archive).map_err(|e| Error::io(OP, self.archive, e))?;
        let f = BufReader::new(f);
        let reader: Box<dyn Read> = match compression {
            TarCompression::None => Box::new(f),
            TarCompression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(f)),
            TarCompression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(f)),
        };
        let mut archive = tar::Archive::new(reader);
        let entries = archive.entries().map_err(|e| self.read_err(e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| self.read_err(e))?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            use tar::EntryType as T;
            match kind {
                T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => continue,
                _ => {}
            }
            let rel = self.rel(&name)?;
            match kind {
                T::Directory => self.make_dir(&rel)?,
                T::Regular | T::Continuous | T::GNUSparse => {
                    let mode = entry.header().mode().ok();
                    self.write_file(&name, &rel, &mut entry, mode)?;
                }
                T::Symlink => {
                    let target = entry
                        .link_name()
                        .map_err(|e| self.read_err(e))?
                        .ok_or_else(|| self.refuse(&name, "a symbolic link with no target"))?
                        .into_owned();
                    self.links.push(PendingLink { entry: name, rel, target });
                }
                T::Link => {
                    let target = entry
                        .link_name()
                        .map_err(|e| self.read_err(e))?
                        .ok_or_else(|| self.refuse(&name, "a hard link with no target"))?;
                    let target_s = target.to_string_lossy().into_owned();
                    let target_rel = safe_relative(&target_s)
                        .map_err(|why| self.refuse(&name, format!("hard link to {target_s:?}: {why}")))?;
                    self.hard_link(&name, &rel, &target_rel, &target_s)?;
                }
                other => {
                    return Err(self.refuse(
                        &name,
                        format!(
                            "special entry of type {other:?} (only files, folders and links are extracted)"
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    fn hard_link(&self, entry: &str, rel: &Path, target_rel: &Path, target: &str) -> Result<()> {
        let src = self.root.join(target_rel);
        match fs::symlink_metadata(&src) {
            Ok(m) if m.is_file() => {}
            _ => {
                return Err(self.refuse(
                    entry,
                    format!("hard link to {target:?}, which is not a file extracted before it"),
                ))
            }
        }
        if rel.as_os_str().is_empty() {
            return Err(self.refuse(entry, "a link entry with no name"));
        }
        let dst = self.root.join(rel);
        if dst == src {
            return Ok(());
        }
        self.make_parent(&dst)?;
        if let Ok(meta) = fs::symlink_metadata(&dst) {
            if meta.is_dir() {
                return Err(self.refuse(entry, "a link entry where a folder was already extracted"));
            }
            fs::remove_file(&dst).map_err(|e| Error::io(OP, &dst, e))?;
        }
        fs::hard_link(&src, &dst).map_err(|e| Error::io(OP, &dst, e))
    }

    fn zip(&mut self) -> Result<()> {
        let f = File::open(self.archive).map_err(|e| Error::io(OP, self.archive, e))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(f)).map_err(|e| self.read_err(e))?;
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).map_err(|e| self.read_err(e))?;
            let name = file.name().map_err(|e| self.read_err(e))?.into_owned();
            let rel = self.rel(&name)?;
            if file.is_dir() {
                self.make_dir(&rel)?;
            } else if file.is_symlink() {
                let mut target = String::new();
                file.read_to_string(&mut target)
                    .map_err(|e| self.read_err(format!("entry {name:?}: {e}")))?;
                self.links.push(PendingLink { entry: name, rel, target: PathBuf::from(target) });
            } else {
                self.write_file(&name, &rel, &mut file, None)?;
            }
        }
        Ok(())
    }

    /// Creates the symbolic links, each checked to stay inside the folder, then checks them all
    /// again in the final tree (a later link can change what an earlier one points through).
    fn make_links(&mut self) -> Result<()> {
        let links = std::mem::take(&mut self.links);
        for link in &links {
            self.check_link(link)?;
            if link.rel.as_os_str().is_empty() {
                return Err(self.refuse(&link.entry, "a link entry with no name"));
            }
            // Never create anything through a link already made.
            let mut prefix = self.root.to_path_buf();
            if let Some(parent) = link.rel.parent() {
                for comp in parent.components() {
                    prefix.push(comp);
                    if fs::symlink_metadata(&prefix).map(|m| m.file_type().is_symlink()).unwrap_or(false) {
                        return Err(self.refuse(&link.entry, "its path goes through a symbolic link"));
                    }
                }
            }
            let dst = self.root.join(&link.rel);
            self.make_parent(&dst)?;
            if let Ok(meta) = fs::symlink_metadata(&dst) {
                if meta.is_dir() {
                    return Err(self.refuse(&link.entry, "a link entry where a folder was already extracted"));
                }
                fs::remove_file(&dst).map_err(|e| Error::io(OP, &dst, e))?;
            }
            make_symlink(&link.target, &dst)
                .map_err(|e| self.refuse(&link.entry, format!("cannot create the symbolic link: {e}")))?;
        }
        for link in &links {
            self.check_link(link)?;
        }
        Ok(())
    }

    fn check_link(&self, link: &PendingLink) -> Result<()> {
        let target = link.target.to_string_lossy();
        if link.target.has_root() || link.target.components().any(|c| matches!(c, Component::Prefix(_))) {
            return Err(self.refuse(&link.entry, format!("symbolic link to the absolute path {target:?}")));
        }
        let walk = link.rel.parent().unwrap_or(Path::new("")).join(&link.target);
        if !resolves_inside(self.root, &walk) {
            return Err(self.refuse(
                &link.entry,
                format!("symbolic link to {target:?}, which points outside the extraction folder"),
            ));
        }
        Ok(())
    }
}

/// One step of a path walk, owning its name so followed link targets can join the queue.
enum Step {
    Up,
    Name(OsString),
    Abs,
}

fn steps(path: &Path) -> impl DoubleEndedIterator<Item = Step> + '_ {
    path.components().filter_map(|c| match c {
        Component::CurDir => None,
        Component::ParentDir => Some(Step::Up),
        Component::Normal(n) => Some(Step::Name(n.to_os_string())),
        Component::RootDir | Component::Prefix(_) => Some(Step::Abs),
    })
}

/// Walks `path` (relative to `root`) like the kernel does, following the links already on
/// disk; false when the walk leaves `root`, meets an absolute link, or loops.
fn resolves_inside(root: &Path, path: &Path) -> bool {
    let mut queue: VecDeque<Step> = steps(path).collect();
    let mut stack: Vec<OsString> = Vec::new();
    let mut follows = 0;
    while let Some(step) = queue.pop_front() {
        match step {
            Step::Abs => return false,
            Step::Up => {
                if stack.pop().is_none() {
                    return false;
                }
            }
            Step::Name(n) => {
                stack.push(n);
                let mut here = root.to_path_buf();
                here.extend(&stack);
                let is_link =
                    fs::symlink_metadata(&here).map(|m| m.file_type().is_symlink()).unwrap_or(false);
                if is_link {
                    follows += 1;
                    if follows > 40 {
                        return false;
                    }
                    let Ok(target) = fs::read_link(&here) else {
                        return false;
                    };
                    stack.pop();
                    for s in steps(&target).rev() {
                        queue.push_front(s);
                    }
                }
            }
        }
    }
    true
}

#[cfg(unix)]
fn make_symlink(target: &Path, dst: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, dst)
}

#[cfg(not(unix))]
fn make_symlink(_target: &Path, _dst: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "symbolic links are extracted on Unix only"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(safe_relative("a/b/../c").unwrap(), PathBuf::from("a/c"));
        assert_eq!(safe_relative("./a").unwrap(), PathBuf::from("a"));
        assert!(safe_relative("../a").is_err());
        assert!(safe_relative("a/../../b").is_err());
        assert!(safe_relative("/etc/passwd").is_err());
    }
}
