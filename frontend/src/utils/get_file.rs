//! `keras.utils.get_file`: download a file into a cache folder unless it is already there,
//! optionally check its hash and extract it.
//!
//! ```no_run
//! use wgkeras_frontend::utils::get_file::GetFile;
//! let folder = GetFile::new("https://example.com/flower_photos.tgz").extract(true).get()?;
//! # Ok::<(), wgkeras_frontend::error::Error>(())
//! ```
//!
//! Keras's arguments map to builder methods of [`GetFile`] with the same names and defaults.
//! Where this port differs from Keras:
//! - the cache is `$WGKERAS_HOME`, else `~/.wgkeras` (Keras: `$KERAS_HOME`, `~/.keras`); when it
//!   cannot be created or written, `<temp dir>/.wgkeras` is used, as Keras falls back to
//!   `/tmp/.keras`;
//! - a failed download, a hash mismatch, an unsupported archive (Keras: a warning) and an unsafe
//!   archive entry (Keras: skipped with a warning) are all `Err`s naming the URL or file;
//! - the download goes to a temporary file beside the target and is renamed into the cache only
//!   once complete and verified, so the cache never holds a partial or mismatching file;
//! - with `extract`, the archive is extracted into a temporary folder renamed into place; an
//!   existing extraction folder is reused when the archive was not downloaded again (Keras
//!   extracts again on every call), and replaced when it was;
//! - a `file_hash` of a length other than 32 or 64 hex digits under `hash_algorithm="auto"` is
//!   refused (Keras would silently compare it as md5, which can never match).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::utils::archive::{extract_archive, unique_sibling, ArchiveFormat};

const OP: &str = "get_file";

/// The hash algorithm of `file_hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashAlgorithm {
    /// sha256 for a 64-digit hash, md5 for a 32-digit one.
    #[default]
    Auto,
    Md5,
    Sha256,
}

impl HashAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Auto => "auto",
            HashAlgorithm::Md5 => "md5",
            HashAlgorithm::Sha256 => "sha256",
        }
    }

    /// The concrete algorithm for `hash` (resolves `Auto` by the hash's length).
    pub fn resolve(self, hash: &str) -> Result<HashAlgorithm> {
        let hex = !hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit());
        let resolved = match self {
            HashAlgorithm::Auto => match hash.len() {
                64 => HashAlgorithm::Sha256,
                32 => HashAlgorithm::Md5,
                n => {
                    return Err(Error::arg(
                        OP,
                        format!(
                            "cannot tell the algorithm of file_hash {hash:?}: it has {n} characters, \
                             expected 64 hex digits (sha256) or 32 (md5)"
                        ),
                    ))
                }
            },
            other => other,
        };
        let want = if resolved == HashAlgorithm::Sha256 { 64 } else { 32 };
        if !hex || hash.len() != want {
            return Err(Error::arg(
                OP,
                format!("file_hash {hash:?} is not a {} hash ({want} hex digits expected)", resolved.name()),
            ));
        }
        Ok(resolved)
    }
}

impl std::str::FromStr for HashAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(HashAlgorithm::Auto),
            "md5" => Ok(HashAlgorithm::Md5),
            "sha256" => Ok(HashAlgorithm::Sha256),
            other => Err(Error::arg(
                OP,
                format!("unknown hash_algorithm {other:?}; expected \"auto\", \"md5\" or \"sha256\""),
            )),
        }
    }
}

/// The lowercase hex digest of the file at `path` (`keras.utils.hash_file`; `Auto` is sha256).
pub fn hash_file(path: &Path, algorithm: HashAlgorithm) -> Result<String> {
    let mut f = File::open(path).map_err(|e| Error::io("hash_file", path, e))?;
    let mut hasher = Hasher::new(algorithm);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io("hash_file", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.hex())
}

/// Whether the file at `path` has the hash `file_hash` (`keras.utils.validate_file`).
pub fn validate_file(path: &Path, file_hash: &str, algorithm: HashAlgorithm) -> Result<bool> {
    let algorithm = algorithm.resolve(file_hash)?;
    Ok(hash_file(path, algorithm)?.eq_ignore_ascii_case(file_hash))
}

enum Hasher {
    Md5(Md5),
    Sha256(Sha256),
}

impl Hasher {
    fn new(algorithm: HashAlgorithm) -> Hasher {
        match algorithm {
            HashAlgorithm::Md5 => Hasher::Md5(Md5::new()),
            HashAlgorithm::Sha256 | HashAlgorithm::Auto => Hasher::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    fn hex(self) -> String {
        let bytes: Vec<u8> = match self {
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// `keras.utils.get_file` with all of its arguments; build with [`GetFile::new`], set what
/// differs from Keras's defaults, then call [`GetFile::get`].
#[derive(Debug, Clone)]
pub struct GetFile {
    fname: Option<String>,
    origin: String,
    untar: bool,
    md5_hash: Option<String>,
    file_hash: Option<String>,
    cache_subdir: PathBuf,
    hash_algorithm: HashAlgorithm,
    extract: bool,
    archive_format: Vec<ArchiveFormat>,
    cache_dir: Option<PathBuf>,
    force_download: bool,
    verbose: bool,
}

/// `get_file(fname, origin)` with Keras's defaults for everything else.
pub fn get_file(fname: Option<&str>, origin: &str) -> Result<PathBuf> {
    let mut g = GetFile::new(origin);
    if let Some(f) = fname {
        g = g.fname(f);
    }
    g.get()
}

impl GetFile {
    /// `origin`: the URL (`http://`, `https://` or `file://`).
    pub fn new(origin: impl Into<String>) -> GetFile {
        GetFile {
            fname: None,
            origin: origin.into(),
            untar: false,
            md5_hash: None,
            file_hash: None,
            cache_subdir: PathBuf::from("datasets"),
            hash_algorithm: HashAlgorithm::Auto,
            extract: false,
            archive_format: ArchiveFormat::AUTO.to_vec(),
            cache_dir: None,
            force_download: false,
            verbose: true,
        }
    }

    /// The local file name (default: the last part of the URL's path). With `extract`, a name
    /// without a `.` names the extraction folder (the archive is kept as `{fname}_archive`); a
    /// name with one names the archive, extracted to `{stem}_extracted`.
    pub fn fname(mut self, fname: impl Into<String>) -> Self {
        self.fname = Some(fname.into());
        self
    }

    /// Deprecated in Keras in favour of `extract`: extract, trying only tar formats.
    pub fn untar(mut self, untar: bool) -> Self {
        self.untar = untar;
        self
    }

    /// Deprecated in Keras in favour of `file_hash`: an md5 hash, used when no `file_hash` is
    /// given (and then the algorithm is md5 whatever `hash_algorithm` says).
    pub fn md5_hash(mut self, hash: impl Into<String>) -> Self {
        self.md5_hash = Some(hash.into());
        self
    }

    /// The expected sha256 or md5 hex digest of the file.
    pub fn file_hash(mut self, hash: impl Into<String>) -> Self {
        self.file_hash = Some(hash.into());
        self
    }

    /// The folder under the cache dir (default `"datasets"`); an absolute path is used as is.
    pub fn cache_subdir(mut self, subdir: impl Into<PathBuf>) -> Self {
        self.cache_subdir = subdir.into();
        self
    }

    pub fn hash_algorithm(mut self, algorithm: HashAlgorithm) -> Self {
        self.hash_algorithm = algorithm;
        self
    }

    /// Extract the archive; `get` then returns the extraction folder.
    pub fn extract(mut self, extract: bool) -> Self {
        self.extract = extract;
        self
    }

    /// The archive formats to try, in order (Keras's list form). Default: tar then zip.
    /// An empty list matches nothing, so extracting fails.
    pub fn archive_formats(mut self, formats: &[ArchiveFormat]) -> Self {
        self.archive_format = formats.to_vec();
        self
    }

    /// One archive format to try.
    pub fn archive_format(self, format: ArchiveFormat) -> Self {
        self.archive_formats(&[format])
    }

    /// Keras's string forms: `"auto"`, `"tar"`, `"zip"` or `"none"`.
    pub fn archive_format_str(mut self, format: &str) -> Result<Self> {
        self.archive_format = ArchiveFormat::parse_list(format)?;
        Ok(self)
    }

    /// The cache folder (default `$WGKERAS_HOME`, else `~/.wgkeras`); `~/` is expanded.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Download even when the file is cached.
    pub fn force_download(mut self, force: bool) -> Self {
        self.force_download = force;
        self
    }

    /// Print the "Downloading data from" line and the progress bar to stderr (default true).
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Downloads (unless cached), verifies and extracts; returns the path of the file, or of
    /// the extraction folder with `extract`/`untar`.
    pub fn get(&self) -> Result<PathBuf> {
        let origin = self.origin.as_str();
        if origin.is_empty() {
            return Err(Error::arg(OP, "please specify the origin argument (URL of the file to download)"));
        }
        let source = parse_origin(origin)?;

        let (file_hash, algorithm) = match (&self.file_hash, &self.md5_hash) {
            (Some(h), _) => (Some(h.clone()), self.hash_algorithm),
            (None, Some(h)) => (Some(h.clone()), HashAlgorithm::Md5),
            (None, None) => (None, self.hash_algorithm),
        };
        let algorithm = match &file_hash {
            Some(h) => algorithm.resolve(h)?,
            None => algorithm,
        };

        let fname = match &self.fname {
            Some(f) if !f.is_empty() => {
                if f.contains('/') || f.contains(std::path::MAIN_SEPARATOR) {
                    return Err(Error::arg(
                        OP,
                        format!(
                            "paths are not accepted as fname; to choose the file's folder use \
                             cache_dir or cache_subdir. Received fname={f:?}"
                        ),
                    ));
                }
                f.clone()
            }
            _ => url_basename(origin),
        };
        if fname.is_empty() || fname == "." || fname == ".." {
            return Err(Error::arg(
                OP,
                format!("cannot parse the file name from the origin {origin:?}; please specify fname"),
            ));
        }

        let datadir = cache_base(self.cache_dir.as_deref())?.join(&self.cache_subdir);
        fs::create_dir_all(&datadir).map_err(|e| Error::io(OP, &datadir, e))?;

        let extracting = self.extract || self.untar;
        let (download_target, extraction_dir) = if extracting {
            let provided = self.fname.as_deref().is_some_and(|f| !f.is_empty());
            if provided && fname.contains('.') {
                let stem = &fname[..fname.find('.').unwrap_or(fname.len())];
                (datadir.join(&fname), Some(datadir.join(format!("{stem}_extracted"))))
            } else {
                (datadir.join(format!("{fname}_archive")), Some(datadir.join(&fname)))
            }
        } else {
            (datadir.join(&fname), None)
        };

        let download = if self.force_download {
            true
        } else if download_target.is_file() {
            match &file_hash {
                Some(h) if !hash_file(&download_target, algorithm)?.eq_ignore_ascii_case(h) => {
                    if self.verbose {
                        eprintln!(
                            "A local file was found, but it seems to be incomplete or outdated because \
                             the {} file hash does not match the original value of {h} so we will \
                             re-download the data.",
                            algorithm.name()
                        );
                    }
                    true
                }
                _ => false,
            }
        } else {
            true
        };

        if download {
            if self.verbose {
                eprintln!("Downloading data from {origin}");
            }
            self.download(
                origin,
                &source,
                &datadir,
                &fname,
                &download_target,
                file_hash.as_deref(),
                algorithm,
            )?;
        }

        let Some(extraction_dir) = extraction_dir else {
            return Ok(download_target);
        };
        if !download && extraction_dir.is_dir() {
            return Ok(extraction_dir);
        }
        let formats: Vec<ArchiveFormat> =
            if self.untar { vec![ArchiveFormat::Tar] } else { self.archive_format.clone() };
        if !extract_archive(&download_target, &extraction_dir, &formats)? {
            let tried: Vec<&str> = formats.iter().map(|f| f.name()).collect();
            return Err(Error::archive(
                OP,
                &download_target,
                format!(
                    "could not extract the file downloaded from {origin}: it is not an archive of the \
                     formats tried ({})",
                    if tried.is_empty() { "none".to_string() } else { tried.join(", ") }
                ),
            ));
        }
        Ok(extraction_dir)
    }

    #[allow(clippy::too_many_arguments)]
    fn download(
        &self,
        origin: &str,
        source: &Source,
        datadir: &Path,
        fname: &str,
        target: &Path,
        file_hash: Option<&str>,
        algorithm: HashAlgorithm,
    ) -> Result<()> {
        if target.is_dir() {
            return Err(Error::io(
                OP,
                target,
                io::Error::new(io::ErrorKind::AlreadyExists, "a folder is in the way of the download"),
            ));
        }
        let tmp = unique_sibling(datadir, fname, "part")?;
        let result = (|| {
            let mut out = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|e| Error::io(OP, &tmp, e))?;
            let mut hasher = file_hash.map(|_| Hasher::new(algorithm));
            let mut sink = HashingWriter { out: &mut out, hasher: hasher.as_mut() };
            fetch(origin, source, &mut sink, &tmp, self.verbose)?;
            out.sync_all().map_err(|e| Error::io(OP, &tmp, e))?;
            drop(out);
            if let (Some(expected), Some(hasher)) = (file_hash, hasher) {
                let actual = hasher.hex();
                if !actual.eq_ignore_ascii_case(expected) {
                    // A cached copy that does not match is stale: drop it too.
                    if target.is_file()
                        && !hash_file(target, algorithm).is_ok_and(|h| h.eq_ignore_ascii_case(expected))
                    {
                        let _ = fs::remove_file(target);
                    }
                    return Err(Error::HashMismatch {
                        op: OP,
                        origin: origin.to_string(),
                        path: target.to_path_buf(),
                        algorithm: algorithm.name(),
                        expected: expected.into(),
                        actual: actual.into(),
                    });
                }
            }
            fs::rename(&tmp, target).map_err(|e| Error::io(OP, target, e))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// Where the bytes come from.
enum Source {
    Http,
    File(PathBuf),
}

fn bad_url(origin: &str, reason: impl Into<String>) -> Error {
    Error::Download { op: OP, url: origin.to_string(), reason: reason.into() }
}

fn parse_origin(origin: &str) -> Result<Source> {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err(bad_url(origin, "not a URL: expected http://, https:// or file://"));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => {
            let uri: ureq::http::Uri =
                origin.parse().map_err(|e| bad_url(origin, format!("bad URL: {e}")))?;
            if uri.host().is_none_or(|h| h.is_empty()) {
                return Err(bad_url(origin, "bad URL: no host"));
            }
            Ok(Source::Http)
        }
        "file" => {
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            let path = path.split(['?', '#']).next().unwrap_or("");
            if !path.starts_with('/') {
                return Err(bad_url(origin, "a file URL needs an absolute path: file:///path/to/file"));
            }
            Ok(Source::File(PathBuf::from(percent_decode(path).map_err(|e| bad_url(origin, e))?)))
        }
        other => {
            Err(bad_url(origin, format!("unsupported URL scheme {other:?}: expected http, https or file")))
        }
    }
}

fn percent_decode(s: &str) -> std::result::Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let v = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(v) = v else {
                return Err(format!("bad percent escape at byte {i}"));
            };
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the decoded path is not UTF-8".to_string())
}

/// The last part of the URL's path (Keras: `basename(urlsplit(origin).path)`).
fn url_basename(origin: &str) -> String {
    let rest = origin.split_once("://").map(|(_, r)| r).unwrap_or(origin);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let path = match rest.find('/') {
        Some(i) => &rest[i..],
        None => "",
    };
    path.rsplit('/').next().unwrap_or("").to_string()
}

/// The cache folder: the given one, else `$WGKERAS_HOME`, else `~/.wgkeras`; falls back to
/// `<temp>/.wgkeras` when it cannot be created or written.
fn cache_base(cache_dir: Option<&Path>) -> Result<PathBuf> {
    let base = match cache_dir {
        Some(d) => expand_user(d),
        None => match std::env::var_os("WGKERAS_HOME") {
            Some(h) if !h.is_empty() => expand_user(Path::new(&h)),
            _ => home_dir()
                .map(|h| h.join(".wgkeras"))
                .unwrap_or_else(|| std::env::temp_dir().join(".wgkeras")),
        },
    };
    if fs::create_dir_all(&base).is_ok() && is_writable(&base) {
        return Ok(base);
    }
    let fallback = std::env::temp_dir().join(".wgkeras");
    fs::create_dir_all(&fallback).map_err(|e| Error::io(OP, &fallback, e))?;
    Ok(fallback)
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn expand_user(p: &Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => home_dir().map(|h| h.join(rest)).unwrap_or_else(|| p.to_path_buf()),
        Err(_) => p.to_path_buf(),
    }
}

fn is_writable(dir: &Path) -> bool {
    let Ok(probe) = unique_sibling(dir, "write-probe", "tmp") else {
        return false;
    };
    let ok = fs::OpenOptions::new().write(true).create_new(true).open(&probe).is_ok();
    let _ = fs::remove_file(&probe);
    ok
}

/// Writes to the temporary file and feeds the hasher on the way.
struct HashingWriter<'a> {
    out: &'a mut File,
    hasher: Option<&'a mut Hasher>,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        if let Some(h) = self.hasher.as_deref_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Copies the origin's bytes into `sink`, showing progress; `tmp` names the local file in
/// write errors.
fn fetch(origin: &str, source: &Source, sink: &mut dyn Write, tmp: &Path, verbose: bool) -> Result<()> {
    match source {
        Source::File(path) => {
            let mut f = File::open(path)
                .map_err(|e| bad_url(origin, format!("cannot open {}: {e}", path.display())))?;
            let total = f.metadata().ok().map(|m| m.len());
            copy_with_progress(origin, &mut f, sink, total, tmp, verbose)
        }
        Source::Http => {
            let config = ureq::Agent::config_builder()
                .timeout_connect(Some(Duration::from_secs(30)))
                .timeout_recv_response(Some(Duration::from_secs(120)))
                .timeout_per_read(Some(Duration::from_secs(120)))
                .build();
            let agent = ureq::Agent::new_with_config(config);
            let response = agent.get(origin).call().map_err(|e| match e {
                ureq::Error::StatusCode(status) => Error::Http { op: OP, url: origin.to_string(), status },
                other => bad_url(origin, other.to_string()),
            })?;
            let total = response.body().content_length();
            let mut reader = response.into_body().into_reader();
            copy_with_progress(origin, &mut reader, sink, total, tmp, verbose)
        }
    }
}

fn copy_with_progress(
    origin: &str,
    from: &mut dyn Read,
    to: &mut dyn Write,
    total: Option<u64>,
    tmp: &Path,
    verbose: bool,
) -> Result<()> {
    let mut bar = verbose.then(|| DownloadBar::new(total));
    let mut buf = vec![0u8; 1 << 16];
    let mut done: u64 = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if let Some(b) = bar.as_mut() {
                    b.abort();
                }
                return Err(bad_url(origin, format!("the download broke off after {done} bytes: {e}")));
            }
        };
        to.write_all(&buf[..n]).map_err(|e| Error::io(OP, tmp, e))?;
        done += n as u64;
        if let Some(b) = bar.as_mut() {
            b.update(done, false);
        }
    }
    if let Some(b) = bar.as_mut() {
        b.update(done, true);
    }
    if let Some(total) = total {
        if done != total {
            return Err(bad_url(origin, format!("the download broke off: got {done} of {total} bytes")));
        }
    }
    Ok(())
}

/// A small text progress bar on stderr (the Keras `Progbar` lives elsewhere).
struct DownloadBar {
    total: Option<u64>,
    start: Instant,
    last: Option<Instant>,
}

impl DownloadBar {
    fn new(total: Option<u64>) -> DownloadBar {
        DownloadBar { total, start: Instant::now(), last: None }
    }

    fn update(&mut self, done: u64, finished: bool) {
        let now = Instant::now();
        if !finished && self.last.is_some_and(|t| now.duration_since(t) < Duration::from_millis(50)) {
            return;
        }
        self.last = Some(now);
        let secs = now.duration_since(self.start).as_secs_f64();
        let line = match self.total {
            Some(total) if total > 0 => {
                let width = 30usize;
                let frac = (done as f64 / total as f64).min(1.0);
                let filled = (frac * width as f64) as usize;
                let mut bar = "=".repeat(filled);
                if filled < width {
                    bar.push('>');
                    bar.push_str(&".".repeat(width - filled - 1));
                }
                format!("{done}/{total} [{bar}] {:3.0}% - {secs:.1}s", frac * 100.0)
            }
            _ => format!("{done} bytes - {secs:.1}s"),
        };
        eprint!("\r{line}");
        if finished {
            eprintln!();
        }
    }

    fn abort(&mut self) {
        eprintln!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames() {
        assert_eq!(url_basename("https://host/a/b/data.tar.gz?x=1#f"), "data.tar.gz");
        assert_eq!(url_basename("https://host"), "");
        assert_eq!(url_basename("file:///tmp/x.npz"), "x.npz");
    }

    #[test]
    fn hash_algorithms() {
        assert_eq!(HashAlgorithm::Auto.resolve(&"a".repeat(64)).unwrap(), HashAlgorithm::Sha256);
        assert_eq!(HashAlgorithm::Auto.resolve(&"a".repeat(32)).unwrap(), HashAlgorithm::Md5);
        assert!(HashAlgorithm::Auto.resolve("abc").is_err());
        assert!(HashAlgorithm::Md5.resolve(&"a".repeat(64)).is_err());
        assert!(HashAlgorithm::Sha256.resolve(&"g".repeat(64)).is_err());
    }

    #[test]
    fn file_urls() {
        assert!(
            matches!(parse_origin("file:///tmp/a%20b").unwrap(), Source::File(p) if p == Path::new("/tmp/a b"))
        );
        assert!(parse_origin("file://relative/x").is_err());
        assert!(parse_origin("ftp://host/x").is_err());
        assert!(parse_origin("/tmp/x").is_err());
    }
}
