//! A small blocking HTTP/1.1 server for tests: fixed responses per path, request counting, slow
//! and oversized answers on demand.
//!
//! It listens on `127.0.0.1` on a free port, answers every connection on its own thread with
//! `Connection: close`, and stops when dropped. Routes can be changed while it runs (serve a newer
//! CRL, say), and [`HttpServer::hits`] tells how often a path was asked for.
//!
//! ```no_run
//! use hermes_pki_tests::http_server::{HttpServer, Response};
//!
//! let server = HttpServer::start();
//! server.route("/ca.crl", Response::ok(vec![0x30, 0x00]));
//! let url = server.url("/ca.crl");
//! // ... fetch `url` ...
//! assert_eq!(server.hits("/ca.crl"), 1);
//! # let _ = url;
//! ```

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How the `Content-Length` header of a [`Response`] is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentLength {
    /// The real length of the body.
    Actual,
    /// No `Content-Length`: the body is streamed and ends when the connection closes.
    Omit,
    /// This value, whatever the body's real length (to announce more than is sent).
    Value(u64),
}

/// What the server answers on one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, such as 200 or 404.
    pub status: u16,
    /// Extra headers (`Content-Length` and `Connection` are written by the server).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Sleep this long before writing the status line.
    pub delay_before_headers: Option<Duration>,
    /// Sleep this long after the headers, before the body.
    pub delay_before_body: Option<Duration>,
    /// How `Content-Length` is written.
    pub content_length: ContentLength,
    /// Write the body in pieces of this many bytes, flushing after each (0: all at once).
    pub chunk_size: usize,
}

impl Response {
    /// `200 OK` with `body`, typed `application/pkix-crl`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self::status(200)
            .header("Content-Type", "application/pkix-crl")
            .body(body)
    }

    /// An answer with `status` and an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay_before_headers: None,
            delay_before_body: None,
            content_length: ContentLength::Actual,
            chunk_size: 0,
        }
    }

    /// A `302 Found` to `location` (a path on this server or an absolute URL).
    pub fn redirect(location: &str) -> Self {
        Self::status(302).header("Location", location)
    }

    /// This answer with `body`.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// This answer with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// This answer, sent only after `delay`.
    pub fn delay_before_headers(mut self, delay: Duration) -> Self {
        self.delay_before_headers = Some(delay);
        self
    }

    /// This answer, with a pause of `delay` between the headers and the body.
    pub fn delay_before_body(mut self, delay: Duration) -> Self {
        self.delay_before_body = Some(delay);
        self
    }

    /// This answer with `Content-Length` written as `content_length` says.
    pub fn content_length(mut self, content_length: ContentLength) -> Self {
        self.content_length = content_length;
        self
    }

    /// This answer with the body written in pieces of `size` bytes.
    pub fn chunk_size(mut self, size: usize) -> Self {
        self.chunk_size = size;
        self
    }
}

/// One request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, such as `GET`.
    pub method: String,
    /// The request target as sent (path and query).
    pub path: String,
    /// The headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server thread and the connection threads share.
#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Response>>,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
}

/// The running server; it stops when dropped. Paths without a route answer `404`.
pub struct HttpServer {
    addr: SocketAddr,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl HttpServer {
    /// Starts a server on `127.0.0.1` on a free port, with no routes.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("cannot bind a test HTTP server");
        let addr = listener.local_addr().expect("no local address");
        listener
            .set_nonblocking(true)
            .expect("cannot make the listener non-blocking");
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        let thread = thread::spawn(move || accept_loop(&listener, &shared));
        Self {
            addr,
            state,
            thread: Some(thread),
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers `path` (the request target, query included) with `response` from now on,
    /// replacing any earlier route for it.
    pub fn route(&self, path: &str, response: Response) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), response);
    }

    /// How many requests for `path` the server has received so far.
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until told to stop, each answered on a thread of its own.
fn accept_loop(listener: &TcpListener, state: &Arc<State>) {
    while !state.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let state = Arc::clone(state);
                thread::spawn(move || {
                    // A client that went away mid-answer is not the server's problem.
                    let _ = serve(stream, &state);
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Reads one request from `stream` and writes its answer.
fn serve(stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?).take(64 * 1024);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let response = state
        .routes
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Response::status(404).body("no such path"));
    state.requests.lock().unwrap().push(Request {
        method,
        path,
        headers,
    });
    respond(stream, &response)
}

/// Writes `response` to `stream`, then closes it.
fn respond(mut stream: TcpStream, response: &Response) -> std::io::Result<()> {
    if let Some(delay) = response.delay_before_headers {
        thread::sleep(delay);
    }
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match response.content_length {
        ContentLength::Actual => {
            head.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
        }
        ContentLength::Value(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
        ContentLength::Omit => {}
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    stream.flush()?;
    if let Some(delay) = response.delay_before_body {
        thread::sleep(delay);
    }
    let chunk = if response.chunk_size == 0 {
        response.body.len().max(1)
    } else {
        response.chunk_size
    };
    for piece in response.body.chunks(chunk) {
        stream.write_all(piece)?;
        stream.flush()?;
    }
    stream.shutdown(Shutdown::Write)?;
    // Let the client read to the end before the socket is closed, so that it sees a clean end
    // of body rather than a reset; give up quickly if it does not close its side.
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut rest = [0_u8; 512];
    while matches!(stream.read(&mut rest), Ok(n) if n > 0) {}
    Ok(())
}

/// The reason phrase for the status codes the tests use.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
