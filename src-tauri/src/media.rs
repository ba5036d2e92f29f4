//! The player's media source. WebKitGTK will not play `<video>` from the
//! asset protocol (a custom URI scheme), so masters are streamed from a
//! loopback HTTP server instead: bound to 127.0.0.1, each URL carrying a
//! random per-run token, serving only the files the user imported, with
//! byte ranges so the player can seek.

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tiny_http::{Header, Request, Response, Server, StatusCode};

/// A running media server.
pub struct MediaServer {
    port: u16,
    token: String,
    allowed: Arc<Mutex<HashSet<PathBuf>>>,
}

/// 128 bits from the process's randomly seeded hasher keys: unguessable by
/// other local users, and no extra dependency.
fn random_token() -> String {
    let a = RandomState::new().hash_one(std::process::id());
    let b = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{a:016x}{b:016x}")
}

impl MediaServer {
    pub fn start() -> std::io::Result<Self> {
        let server = Server::http("127.0.0.1:0").map_err(std::io::Error::other)?;
        let port = server.server_addr().to_ip().map_or(0, |a| a.port());
        let token = random_token();
        let allowed: Arc<Mutex<HashSet<PathBuf>>> = Arc::default();
        let (t, a) = (token.clone(), Arc::clone(&allowed));
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let (t, a) = (t.clone(), Arc::clone(&a));
                // One thread per request: the player keeps a connection open while it streams.
                std::thread::spawn(move || serve(request, &t, &a));
            }
        });
        Ok(Self { port, token, allowed })
    }

    /// Lets the player read this file.
    pub fn allow(&self, path: &Path) {
        if let (Ok(mut set), Ok(canonical)) = (self.allowed.lock(), path.canonicalize()) {
            set.insert(canonical);
        }
    }

    pub fn url(&self, path: &Path) -> String {
        let encoded = utf8_percent_encode(&path.to_string_lossy(), NON_ALPHANUMERIC).to_string();
        format!("http://127.0.0.1:{}/{}/{encoded}", self.port, self.token)
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).as_deref() {
        Some("mp4" | "m4v") => "video/mp4",
        Some("mov") => "video/quicktime",
        Some("webm") => "video/webm",
        Some("mkv") => "video/x-matroska",
        _ => "application/octet-stream",
    }
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive range within `len`.
fn range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?.split(',').next()?.trim();
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(a), Some(b)) => (a, b.min(len.saturating_sub(1))),
        (Some(a), None) => (a, len.saturating_sub(1)),
        (None, Some(n)) => (len.saturating_sub(n), len.saturating_sub(1)),
        (None, None) => return None,
    };
    (start <= end && end < len).then_some((start, end))
}

fn serve(request: Request, token: &str, allowed: &Mutex<HashSet<PathBuf>>) {
    let refuse = |request: Request, code: u16| {
        let _ = request.respond(Response::empty(StatusCode(code)));
    };
    let url = request.url().to_owned();
    let Some(rest) = url.strip_prefix('/').and_then(|u| u.strip_prefix(token)).and_then(|u| u.strip_prefix('/')) else {
        return refuse(request, 403);
    };
    let Ok(decoded) = percent_decode_str(rest).decode_utf8() else { return refuse(request, 400) };
    let path = PathBuf::from(decoded.as_ref());
    let permitted = path.canonicalize().ok().is_some_and(|p| allowed.lock().is_ok_and(|set| set.contains(&p)));
    if !permitted {
        return refuse(request, 403);
    }
    let Ok(mut file) = File::open(&path) else { return refuse(request, 404) };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let wanted = request.headers().iter().find(|h| h.field.equiv("Range")).map(|h| h.value.as_str().to_owned());
    // CORS lets the preview canvas read the frames it draws (the URL's token is the access control).
    let mut headers: Vec<Header> = [
        header("Content-Type", content_type(&path)),
        header("Accept-Ranges", "bytes"),
        header("Access-Control-Allow-Origin", "*"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match wanted.as_deref().map(|w| range(w, len)) {
        Some(Some((start, end))) => {
            if file.seek(SeekFrom::Start(start)).is_err() {
                return refuse(request, 500);
            }
            headers.extend(header("Content-Range", &format!("bytes {start}-{end}/{len}")));
            let body = file.take(end - start + 1);
            let size = usize::try_from(end - start + 1).ok();
            let _ = request.respond(Response::new(StatusCode(206), headers, body, size, None));
        }
        Some(None) => {
            headers.extend(header("Content-Range", &format!("bytes */{len}")));
            let _ = request.respond(Response::new(StatusCode(416), headers, std::io::empty(), Some(0), None));
        }
        None => {
            let _ = request.respond(Response::new(StatusCode(200), headers, file, usize::try_from(len).ok(), None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_browsers_send_them() {
        assert_eq!(range("bytes=0-", 100), Some((0, 99)));
        assert_eq!(range("bytes=10-19", 100), Some((10, 19)));
        assert_eq!(range("bytes=90-200", 100), Some((90, 99)));
        assert_eq!(range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(range("bytes=100-", 100), None);
        assert_eq!(range("items=0-1", 100), None);
    }

    #[test]
    fn only_allowed_files_with_the_token_are_served() {
        let dir = std::env::temp_dir().join(format!("media-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = dir.join("路演 's: a.mp4");
        let secret = dir.join("secret.mp4");
        std::fs::write(&ok, b"0123456789").unwrap();
        std::fs::write(&secret, b"no").unwrap();
        let server = MediaServer::start().unwrap();
        server.allow(&ok);
        let get = |url: &str, range: Option<&str>| -> (u16, Vec<u8>) {
            use std::io::Write;
            let rest = url.strip_prefix("http://").unwrap();
            let (host, path) = rest.split_once('/').unwrap();
            let mut s = std::net::TcpStream::connect(host).unwrap();
            let extra = range.map(|r| format!("Range: {r}\r\n")).unwrap_or_default();
            write!(s, "GET /{path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n").unwrap();
            let mut out = Vec::new();
            s.read_to_end(&mut out).unwrap();
            let text = String::from_utf8_lossy(&out).into_owned();
            let code = text[9..12].parse().unwrap();
            let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().as_bytes().to_vec();
            (code, body)
        };
        assert_eq!(get(&server.url(&ok), None), (200, b"0123456789".to_vec()));
        assert_eq!(get(&server.url(&ok), Some("bytes=2-4")), (206, b"234".to_vec()));
        assert_eq!(get(&server.url(&secret), None).0, 403, "not imported");
        let wrong_token = server.url(&ok).replace(&server.token, "0000");
        assert_eq!(get(&wrong_token, None).0, 403);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
