//! `keras.utils.get_file`: downloads from a small HTTP server run inside the test (no outside
//! network), caching, hash checks, `file://` origins, archive extraction and its safety rules.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use md5::Md5;
use sha2::{Digest, Sha256};
use wgkeras::frontend::error::Error;
use wgkeras::frontend::utils::archive::ArchiveFormat;
use wgkeras::frontend::utils::get_file::{get_file, validate_file, GetFile, HashAlgorithm};

// ---------------------------------------------------------------- the test server

#[derive(Clone)]
enum Reply {
    Body(Vec<u8>),
    Status(u16),
    /// Announces `claimed` bytes in Content-Length, sends the body, then closes.
    Truncated {
        body: Vec<u8>,
        claimed: usize,
    },
}

struct Server {
    port: u16,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let (r, h) = (routes.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, h) = (r.clone(), h.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &r, &h);
                });
            }
        });
        Server { port, routes, hits }
    }

    fn route(&self, path: &str, reply: Reply) -> String {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
        self.url(path)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    hits: &Mutex<HashMap<String, usize>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let reply = routes.lock().unwrap().get(&path).cloned().unwrap_or(Reply::Status(404));
    let mut out = stream;
    match reply {
        Reply::Body(body) => {
            write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
            out.write_all(&body)?;
        }
        Reply::Status(code) => {
            let body = b"no such file";
            write!(
                out,
                "HTTP/1.1 {code} Error\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(body)?;
        }
        Reply::Truncated { body, claimed } => {
            write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {claimed}\r\nConnection: close\r\n\r\n")?;
            out.write_all(&body)?;
        }
    }
    out.flush()?;
    out.shutdown(std::net::Shutdown::Both)
}

// ---------------------------------------------------------------- helpers

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn payload(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// The names in a folder, sorted (hidden temporary files included).
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn quiet(url: &str, cache: &Path) -> GetFile {
    GetFile::new(url).cache_dir(cache).verbose(false)
}

// ---------------------------------------------------------------- downloads and the cache

#[test]
fn download_then_cache_hit() {
    let server = Server::start();
    let data = payload(300_000, 1);
    let url = server.route("/files/data.bin", Reply::Body(data.clone()));
    let cache = tempfile::tempdir().unwrap();

    let path = quiet(&url, cache.path()).get().unwrap();
    assert_eq!(path, cache.path().join("datasets").join("data.bin"));
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert_eq!(server.hits("/files/data.bin"), 1);

    // Cached: no second request, same path.
    let again = quiet(&url, cache.path()).get().unwrap();
    assert_eq!(again, path);
    assert_eq!(server.hits("/files/data.bin"), 1);
    // Only the file is in the cache folder, no temporary left over.
    assert_eq!(listing(&cache.path().join("datasets")), vec!["data.bin"]);

    // fname renames the local file.
    let named = quiet(&url, cache.path()).fname("renamed.bin").get().unwrap();
    assert_eq!(named, cache.path().join("datasets").join("renamed.bin"));
    assert_eq!(server.hits("/files/data.bin"), 2);
}

#[test]
fn force_download_fetches_again() {
    let server = Server::start();
    let url = server.route("/v.bin", Reply::Body(b"version 1".to_vec()));
    let cache = tempfile::tempdir().unwrap();
    let path = quiet(&url, cache.path()).get().unwrap();
    server.route("/v.bin", Reply::Body(b"version 2".to_vec()));
    // Without force_download the cached copy stays.
    quiet(&url, cache.path()).get().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"version 1");
    assert_eq!(server.hits("/v.bin"), 1);
    let forced = quiet(&url, cache.path()).force_download(true).get().unwrap();
    assert_eq!(forced, path);
    assert_eq!(std::fs::read(&path).unwrap(), b"version 2");
    assert_eq!(server.hits("/v.bin"), 2);
}

#[test]
fn hashes_verified_with_auto_detection() {
    let server = Server::start();
    let data = payload(5000, 7);
    let url = server.route("/h.bin", Reply::Body(data.clone()));
    let (sha, md5) = (sha256_hex(&data), md5_hex(&data));

    for (hash, algo) in [
        (sha.clone(), HashAlgorithm::Auto),
        (md5.clone(), HashAlgorithm::Auto),
        (sha.clone(), HashAlgorithm::Sha256),
        (md5.clone(), HashAlgorithm::Md5),
        (sha.to_uppercase(), HashAlgorithm::Auto),
    ] {
        let cache = tempfile::tempdir().unwrap();
        let p = quiet(&url, cache.path()).file_hash(&hash).hash_algorithm(algo).get().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), data);
        assert!(validate_file(&p, &hash, algo).unwrap());
    }
    // The deprecated md5_hash argument.
    let cache = tempfile::tempdir().unwrap();
    quiet(&url, cache.path()).md5_hash(&md5).get().unwrap();
    // "sha256" given an md5-length hash, or a hash of no known length: argument errors.
    let cache = tempfile::tempdir().unwrap();
    let err =
        quiet(&url, cache.path()).file_hash(&md5).hash_algorithm(HashAlgorithm::Sha256).get().unwrap_err();
    assert!(matches!(err, Error::Argument { .. }), "{err}");
    let err = quiet(&url, cache.path()).file_hash("abc123").get().unwrap_err();
    assert!(err.to_string().contains("abc123"), "{err}");
    assert!("sha256".parse::<HashAlgorithm>().is_ok() && "sha1".parse::<HashAlgorithm>().is_err());
}

#[test]
fn hash_mismatch_leaves_nothing() {
    let server = Server::start();
    let data = payload(1000, 3);
    let url = server.route("/bad.bin", Reply::Body(data.clone()));
    let cache = tempfile::tempdir().unwrap();
    let wrong = sha256_hex(b"something else");
    let err = quiet(&url, cache.path()).file_hash(&wrong).get().unwrap_err();
    assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&url) && msg.contains(&wrong), "{msg}");
    assert!(
        listing(&cache.path().join("datasets")).is_empty(),
        "{:?}",
        listing(&cache.path().join("datasets"))
    );

    // A wrong md5 too.
    let err = quiet(&url, cache.path()).md5_hash(md5_hex(b"x")).get().unwrap_err();
    assert!(matches!(err, Error::HashMismatch { algorithm: "md5", .. }), "{err}");
    assert!(listing(&cache.path().join("datasets")).is_empty());
}

#[test]
fn cached_file_with_wrong_hash_is_downloaded_again() {
    let server = Server::start();
    let data = payload(2000, 9);
    let url = server.route("/c.bin", Reply::Body(data.clone()));
    let cache = tempfile::tempdir().unwrap();
    let target = cache.path().join("datasets").join("c.bin");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();

    // A stale copy with the wrong content: fetched again.
    std::fs::write(&target, b"stale").unwrap();
    let p = quiet(&url, cache.path()).file_hash(sha256_hex(&data)).get().unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), data);
    assert_eq!(server.hits("/c.bin"), 1);
    // Now right: not fetched again.
    quiet(&url, cache.path()).file_hash(sha256_hex(&data)).get().unwrap();
    quiet(&url, cache.path()).file_hash(md5_hex(&data)).get().unwrap();
    assert_eq!(server.hits("/c.bin"), 1);

    // A stale copy and a server that now serves other bytes: the mismatch removes both.
    std::fs::write(&target, b"stale").unwrap();
    server.route("/c.bin", Reply::Body(b"tampered".to_vec()));
    let err = quiet(&url, cache.path()).file_hash(sha256_hex(&data)).get().unwrap_err();
    assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    assert!(listing(&cache.path().join("datasets")).is_empty());
}

#[test]
fn file_origin_and_cache_locations() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = src_dir.path().join("local data.txt");
    std::fs::write(&src, b"from a file url").unwrap();
    let url = format!("file://{}", src.display().to_string().replace(' ', "%20"));
    let cache = tempfile::tempdir().unwrap();
    let p = quiet(&url, cache.path()).get().unwrap();
    // Keras names the file after the URL's path as written.
    assert_eq!(p, cache.path().join("datasets").join("local%20data.txt"));
    assert_eq!(std::fs::read(&p).unwrap(), b"from a file url");

    // An absolute cache_subdir is used as is.
    let elsewhere = tempfile::tempdir().unwrap();
    let sub = elsewhere.path().join("my").join("folder");
    let p = quiet(&url, cache.path()).cache_subdir(&sub).fname("x.txt").get().unwrap();
    assert_eq!(p, sub.join("x.txt"));
    // A relative one goes under the cache dir.
    let p = quiet(&url, cache.path()).cache_subdir("models/v1").fname("y.txt").get().unwrap();
    assert_eq!(p, cache.path().join("models/v1/y.txt"));

    // With no cache_dir: $WGKERAS_HOME (the only test that sets it).
    let home = tempfile::tempdir().unwrap();
    std::env::set_var("WGKERAS_HOME", home.path());
    let p = get_file(Some("z.txt"), &url);
    std::env::remove_var("WGKERAS_HOME");
    assert_eq!(p.unwrap(), home.path().join("datasets").join("z.txt"));

    // A missing local file: an Err naming the URL.
    let gone = format!("file://{}/nope.bin", src_dir.path().display());
    let err = quiet(&gone, cache.path()).get().unwrap_err();
    assert!(err.to_string().contains(&gone), "{err}");
    assert!(!cache.path().join("datasets/nope.bin").exists());

    // fname with a path in it is refused, as in Keras.
    let err = quiet(&url, cache.path()).fname("a/b.txt").get().unwrap_err();
    assert!(matches!(err, Error::Argument { .. }), "{err}");
}

#[test]
fn http_errors_name_the_url() {
    let server = Server::start();
    let cache = tempfile::tempdir().unwrap();

    let missing = server.url("/missing.bin");
    let err = quiet(&missing, cache.path()).get().unwrap_err();
    assert!(matches!(err, Error::Http { status: 404, .. }), "{err}");
    assert!(err.to_string().contains(&missing), "{err}");

    let url = server.route("/teapot", Reply::Status(500));
    let err = quiet(&url, cache.path()).get().unwrap_err();
    assert!(matches!(err, Error::Http { status: 500, .. }), "{err}");

    // A body cut short of its Content-Length.
    let url = server.route("/short.bin", Reply::Truncated { body: payload(100, 0), claimed: 5000 });
    let err = quiet(&url, cache.path()).get().unwrap_err();
    assert!(matches!(err, Error::Download { .. }), "{err}");
    assert!(err.to_string().contains(&url), "{err}");
    assert!(
        listing(&cache.path().join("datasets")).is_empty(),
        "{:?}",
        listing(&cache.path().join("datasets"))
    );

    // Connection refused: a port that was just freed.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = format!("http://127.0.0.1:{port}/x.bin");
    let err = quiet(&refused, cache.path()).get().unwrap_err();
    assert!(matches!(err, Error::Download { .. }), "{err}");
    assert!(err.to_string().contains(&refused), "{err}");

    // Bad URLs.
    for bad in ["ftp://host/x.bin", "just/a/path.bin", "http:///nohost.bin", "file://relative.bin"] {
        let err = quiet(bad, cache.path()).get().unwrap_err();
        assert!(err.to_string().contains(bad), "{bad}: {err}");
    }
    let err = quiet("", cache.path()).get().unwrap_err();
    assert!(matches!(err, Error::Argument { .. }), "{err}");
    // No file name in the URL and no fname.
    let err = quiet(&server.url("/"), cache.path()).get().unwrap_err();
    assert!(matches!(err, Error::Argument { .. }), "{err}");
    assert!(listing(&cache.path().join("datasets")).is_empty());
}

// ---------------------------------------------------------------- archives

/// Raw tar entry: the name and link name go in byte for byte (the tar crate's setters refuse
/// the unsafe ones we need to test).
fn raw_entry(b: &mut tar::Builder<Vec<u8>>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut h = tar::Header::new_old();
    {
        let old = h.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        old.linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_size(data.len() as u64);
    h.set_mode(if kind == tar::EntryType::Directory { 0o755 } else { 0o644 });
    h.set_mtime(0);
    h.set_cksum();
    b.append(&h, data).unwrap();
}

fn tar_bytes(entries: &[(&str, tar::EntryType, &str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, link, data) in entries {
        raw_entry(&mut b, name, *kind, link, data);
    }
    b.into_inner().unwrap()
}

fn good_tar() -> Vec<u8> {
    use tar::EntryType as T;
    tar_bytes(&[
        ("top/", T::Directory, "", b""),
        ("top/a.txt", T::Regular, "", b"alpha"),
        ("top/sub/b.txt", T::Regular, "", b"beta"),
        ("top/link_to_a", T::Symlink, "a.txt", b""),
        ("top/hard_a", T::Link, "top/a.txt", b""),
    ])
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip_bytes(files: &[(&str, &[u8])], symlinks: &[(&str, &str)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        if name.ends_with('/') {
            z.add_directory(*name, opts).unwrap();
        } else {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
    }
    for (name, target) in symlinks {
        z.add_symlink(*name, *target, opts).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn good_zip() -> Vec<u8> {
    zip_bytes(&[("top/", b""), ("top/a.txt", b"alpha"), ("top/sub/b.txt", b"beta")], &[])
}

fn read(p: PathBuf) -> String {
    String::from_utf8(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

#[test]
fn extract_each_format() {
    let server = Server::start();
    let tar = good_tar();
    for (file, bytes, links) in [
        ("data.tar", tar.clone(), true),
        ("data.tar.gz", gz(&tar), true),
        ("data.tar.bz2", bz2(&tar), true),
        ("data.zip", good_zip(), false),
    ] {
        let url = server.route(&format!("/{file}"), Reply::Body(bytes.clone()));
        let cache = tempfile::tempdir().unwrap();
        let datasets = cache.path().join("datasets");

        // No fname: Keras extracts to a folder named after the URL's file, keeping the archive
        // as `{name}_archive`.
        let dir = quiet(&url, cache.path()).extract(true).get().unwrap();
        assert_eq!(dir, datasets.join(file), "{file}");
        assert!(dir.is_dir());
        assert_eq!(read(dir.join("top/a.txt")), "alpha", "{file}");
        assert_eq!(read(dir.join("top/sub/b.txt")), "beta", "{file}");
        if links {
            assert_eq!(read(dir.join("top/link_to_a")), "alpha", "{file}");
            assert!(std::fs::symlink_metadata(dir.join("top/link_to_a")).unwrap().file_type().is_symlink());
            assert_eq!(read(dir.join("top/hard_a")), "alpha", "{file}");
        }
        assert_eq!(std::fs::read(datasets.join(format!("{file}_archive"))).unwrap(), bytes);
        assert_eq!(listing(&datasets), vec![file.to_string(), format!("{file}_archive")], "{file}");

        // Cached: no new request, same folder.
        assert_eq!(quiet(&url, cache.path()).extract(true).get().unwrap(), dir);
        assert_eq!(server.hits(&format!("/{file}")), 1, "{file}");

        // fname without a dot names the folder; with one, the archive (folder `{stem}_extracted`).
        let d = quiet(&url, cache.path()).fname("mydata").extract(true).get().unwrap();
        assert_eq!(d, datasets.join("mydata"));
        assert!(datasets.join("mydata_archive").is_file());
        assert_eq!(read(d.join("top/a.txt")), "alpha");
        let d = quiet(&url, cache.path()).fname("other.pkg").extract(true).get().unwrap();
        assert_eq!(d, datasets.join("other_extracted"));
        assert!(datasets.join("other.pkg").is_file());
        assert_eq!(read(d.join("top/sub/b.txt")), "beta");

        // force_download replaces the folder as a whole.
        std::fs::write(d.join("stray.txt"), b"x").unwrap();
        let d2 =
            quiet(&url, cache.path()).fname("other.pkg").extract(true).force_download(true).get().unwrap();
        assert_eq!(d2, d);
        assert!(!d.join("stray.txt").exists());
        assert_eq!(read(d.join("top/a.txt")), "alpha");
    }
}

#[test]
fn archive_format_choices() {
    let server = Server::start();
    let tar_url = server.route("/t.tar.gz", Reply::Body(gz(&good_tar())));
    let zip_url = server.route("/z.zip", Reply::Body(good_zip()));
    let txt_url = server.route("/plain.txt", Reply::Body(b"not an archive at all".to_vec()));
    let cache = tempfile::tempdir().unwrap();

    // untar (deprecated) extracts tars.
    let d = quiet(&tar_url, cache.path()).untar(true).get().unwrap();
    assert_eq!(read(d.join("top/a.txt")), "alpha");
    // Only "zip" allowed: a tar is refused with an Err naming the file.
    let c2 = tempfile::tempdir().unwrap();
    let err = quiet(&tar_url, c2.path()).extract(true).archive_format(ArchiveFormat::Zip).get().unwrap_err();
    assert!(matches!(err, Error::Archive { .. }), "{err}");
    assert!(err.to_string().contains("t.tar.gz"), "{err}");
    // untar on a zip: refused too.
    let err = quiet(&zip_url, c2.path()).untar(true).get().unwrap_err();
    assert!(err.to_string().contains("z.zip"), "{err}");
    // The string forms.
    let d = quiet(&zip_url, c2.path())
        .fname("zz")
        .extract(true)
        .archive_format_str("zip")
        .unwrap()
        .get()
        .unwrap();
    assert_eq!(read(d.join("top/a.txt")), "alpha");
    let err =
        quiet(&zip_url, c2.path()).fname("none").extract(true).archive_format_str("none").unwrap().get();
    assert!(matches!(err, Err(Error::Archive { .. })));
    assert!(quiet(&zip_url, c2.path()).archive_format_str("rar").is_err());
    // Not an archive.
    let err = quiet(&txt_url, c2.path()).extract(true).get().unwrap_err();
    assert!(matches!(err, Error::Archive { .. }), "{err}");
    assert!(err.to_string().contains("plain.txt"), "{err}");
    // Zip first then tar also finds the tar.
    let d = quiet(&tar_url, c2.path())
        .fname("order")
        .extract(true)
        .archive_formats(&[ArchiveFormat::Zip, ArchiveFormat::Tar])
        .get()
        .unwrap();
    assert_eq!(read(d.join("top/sub/b.txt")), "beta");
}

#[test]
fn malicious_archives_are_refused() {
    use tar::EntryType as T;
    let server = Server::start();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "dotdot.tar",
            tar_bytes(&[("ok.txt", T::Regular, "", b"ok"), ("../evil.txt", T::Regular, "", b"x")]),
            "../evil.txt",
        ),
        ("deep.tar.gz", gz(&tar_bytes(&[("a/../../evil.txt", T::Regular, "", b"x")])), "a/../../evil.txt"),
        (
            "abs.tar",
            tar_bytes(&[("/tmp/wgkeras_evil_abs.txt", T::Regular, "", b"x")]),
            "/tmp/wgkeras_evil_abs.txt",
        ),
        ("symout.tar", tar_bytes(&[("link", T::Symlink, "../../outside", b"")]), "link"),
        ("symabs.tar", tar_bytes(&[("link", T::Symlink, "/etc", b"")]), "link"),
        // A link through another link: `a` -> `.` stays inside, `b` -> `a/..` leaves.
        ("symchain.tar", tar_bytes(&[("a", T::Symlink, ".", b""), ("b", T::Symlink, "a/..", b"")]), "b"),
        // Writing through a link: `d` -> `..`, then `d/evil.txt`.
        (
            "symwrite.tar",
            tar_bytes(&[("d", T::Symlink, "..", b""), ("d/evil.txt", T::Regular, "", b"x")]),
            "d",
        ),
        ("hardout.tar", tar_bytes(&[("h", T::Link, "../../etc/passwd", b"")]), "h"),
        ("fifo.tar", tar_bytes(&[("pipe", T::Fifo, "", b"")]), "pipe"),
        ("dotdot.zip", zip_bytes(&[("ok.txt", b"ok"), ("../evil.txt", b"x")], &[]), "../evil.txt"),
        ("abs.zip", zip_bytes(&[("/tmp/wgkeras_evil_abs.txt", b"x")], &[]), "/tmp/wgkeras_evil_abs.txt"),
        ("symout.zip", zip_bytes(&[], &[("link", "../../outside")]), "link"),
    ];
    for (file, bytes, entry) in cases {
        let url = server.route(&format!("/{file}"), Reply::Body(bytes));
        let cache = tempfile::tempdir().unwrap();
        let datasets = cache.path().join("datasets");
        let err = quiet(&url, cache.path()).fname("out").extract(true).get().unwrap_err();
        assert!(matches!(err, Error::UnsafeArchiveEntry { .. }), "{file}: {err}");
        let msg = err.to_string();
        assert!(msg.contains(entry), "{file}: {msg}");
        // Nothing extracted: only the downloaded archive is in the cache, nothing beside it.
        assert_eq!(listing(&datasets), vec!["out_archive"], "{file}");
        assert!(!cache.path().join("evil.txt").exists(), "{file}");
        assert!(!Path::new("/tmp/wgkeras_evil_abs.txt").exists(), "{file}");
    }
}

#[test]
fn truncated_archive_is_an_error() {
    let server = Server::start();
    let mut bytes = gz(&good_tar());
    bytes.truncate(bytes.len() / 2);
    let url = server.route("/cut.tar.gz", Reply::Body(bytes));
    let cache = tempfile::tempdir().unwrap();
    let err = quiet(&url, cache.path()).fname("cut").extract(true).get().unwrap_err();
    assert!(err.to_string().contains("cut_archive"), "{err}");
    assert_eq!(listing(&cache.path().join("datasets")), vec!["cut_archive"]);
}

#[test]
fn reads_whole_body_without_content_length() {
    // A server that closes the connection instead of sending Content-Length.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let data = payload(70_000, 5);
    let body = data.clone();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(s, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let _ = s.write_all(&body);
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let p = quiet(&format!("http://127.0.0.1:{port}/stream.bin"), cache.path()).get().unwrap();
    assert_eq!(std::fs::read(p).unwrap(), data);
}
