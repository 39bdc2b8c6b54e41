//! The offline Hub's loopback server (hyper): HTTP/1.1 on threads of its own, each answer sent
//! `latency` after its request arrived (at once without latency).
//!
//! It replaced wiremock, which serves every connection on one thread and starts an answer's
//! delay only once the answer is built, so what a client sees is the delay plus the time spent
//! building the answers of everyone before it (a 1,000-model listing page holds every other
//! answer back for tens of milliseconds) plus the timer's rounding (Tokio's timer counts whole
//! milliseconds, and wakes up to two of them late). That is the mock's cost, not the client's:
//! at 32 requests in flight, a 20 ms wiremock answered in 22–25 ms. Here the latency runs from
//! the moment the request was read, answers are built on two threads, and the wait ends on a
//! [`PreciseTimer`]: never before the deadline, a few tens of microseconds after it.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use super::answer::Answer;

/// Builds the answer to a request (the offline Hub's router).
pub(crate) type Handler = Arc<dyn Fn(&HubRequest) -> Answer + Send + Sync>;

/// A request the offline Hub received.
#[derive(Debug, Clone)]
pub struct HubRequest {
    /// `GET`, `HEAD`, …
    pub method: hyper::Method,
    /// The full URL (`http://127.0.0.1:<port>/path?query`).
    pub url: url::Url,
    /// The request's headers.
    pub headers: hyper::HeaderMap,
    /// The request's body (empty for a `GET`).
    pub body: Vec<u8>,
}

/// Worker threads: answers are built and sent beside each other even while one thread builds
/// a long listing page.
const THREADS: usize = 2;

/// A running server; dropping it stops it.
pub(crate) struct HubServer {
    uri: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    timer: Arc<PreciseTimer>,
}

impl HubServer {
    /// Serve `handler` on `listener`, every answer `latency` after its request arrived.
    pub(crate) fn start(
        listener: std::net::TcpListener,
        latency: Duration,
        handler: Handler,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        let uri = format!("http://{}", listener.local_addr()?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(THREADS)
            .thread_name("offline-hub")
            .enable_all()
            .build()?;
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let base: Arc<str> = uri.as_str().into();
        let timer = PreciseTimer::start()?;
        let wait = Arc::clone(&timer);
        let thread = std::thread::Builder::new()
            .name("offline-hub".into())
            .spawn(move || {
                let answers = Answers {
                    base,
                    latency,
                    handler,
                    timer: wait,
                };
                runtime.block_on(accept(listener, Arc::new(answers), stop));
                // Connections still waiting out their latency are dropped, not awaited.
                runtime.shutdown_background();
            })
            .inspect_err(|_| timer.stop())?;
        Ok(Self {
            uri,
            shutdown: Some(shutdown),
            thread: Some(thread),
            timer,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.timer.stop();
    }
}

/// How requests are answered.
struct Answers {
    /// `http://127.0.0.1:<port>`, the base of the requests' URLs.
    base: Arc<str>,
    latency: Duration,
    handler: Handler,
    timer: Arc<PreciseTimer>,
}

/// Deadlines kept by a thread of their own, which sleeps until the next one with the
/// operating system's nanosecond clock (Tokio's timer rounds to milliseconds).
pub(crate) struct PreciseTimer {
    state: Mutex<TimerState>,
    changed: Condvar,
}

#[derive(Default)]
struct TimerState {
    /// Deadlines in order (the number tells apart deadlines at the same instant).
    waiting: BTreeMap<(Instant, u64), tokio::sync::oneshot::Sender<()>>,
    next: u64,
    stopped: bool,
}

impl PreciseTimer {
    /// Start the timer's thread.
    fn start() -> std::io::Result<Arc<Self>> {
        let timer = Arc::new(Self {
            state: Mutex::default(),
            changed: Condvar::new(),
        });
        let run = Arc::clone(&timer);
        std::thread::Builder::new()
            .name("offline-hub-timer".into())
            .spawn(move || run.run())?;
        Ok(timer)
    }

    fn lock(&self) -> MutexGuard<'_, TimerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until `deadline` (at once if it has passed, or if the timer is stopped).
    async fn sleep_until(&self, deadline: Instant) {
        let (wake, woken) = tokio::sync::oneshot::channel();
        {
            let mut state = self.lock();
            if state.stopped {
                return;
            }
            let key = (deadline, state.next);
            state.next += 1;
            let first = state.waiting.keys().next().is_none_or(|k| key < *k);
            state.waiting.insert(key, wake);
            if first {
                self.changed.notify_one();
            }
        }
        // A dropped sender (the timer stopped) ends the wait too.
        let _ = woken.await;
    }

    fn run(&self) {
        let mut state = self.lock();
        while !state.stopped {
            let now = Instant::now();
            while let Some(entry) = state.waiting.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let _ = entry.remove().send(());
            }
            state = match state.waiting.keys().next() {
                Some(&(deadline, _)) => {
                    let wait = deadline.saturating_duration_since(now);
                    self.changed
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
            };
        }
        state.waiting.clear();
    }

    /// End the thread; every wait ends.
    fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_one();
    }
}

/// Accept connections until `stop`, each served on a task of its own.
async fn accept(
    listener: std::net::TcpListener,
    answers: Arc<Answers>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(error = %e, "the offline Hub cannot listen");
            return;
        }
    };
    loop {
        let stream = tokio::select! {
            biased;
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "the offline Hub could not accept a connection");
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let answers = Arc::clone(&answers);
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| answer(request, Arc::clone(&answers)));
            // A client closing its connection ends it; nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Answer one request, `latency` after it arrived.
async fn answer(
    request: hyper::Request<Incoming>,
    answers: Arc<Answers>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let arrived = Instant::now();
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let answer = match url::Url::parse(&format!("{}{target}", answers.base)) {
        Ok(url) => (answers.handler)(&HubRequest {
            url,
            method: parts.method,
            headers: parts.headers,
            body,
        }),
        Err(e) => Answer::new(400).set_body_string(format!("{target}: {e}")),
    };
    if !answers.latency.is_zero() {
        answers.timer.sleep_until(arrived + answers.latency).await;
    }
    Ok(response(answer))
}

/// The HTTP response of `answer` (a header that is not valid HTTP is left out).
fn response(answer: Answer) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal HTTP/1.1 GET over a fresh connection (no client crate in this crate's
    /// dependencies).
    async fn http_get(uri: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let url = url::Url::parse(uri).unwrap();
        let mut stream =
            tokio::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap()))
                .await
                .unwrap();
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        stream
            .write_all(
                format!("GET {target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.unwrap();
        let status = raw[9..12].parse().unwrap();
        let body = raw.split_once("\r\n\r\n").unwrap().1.to_owned();
        (status, body)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_after_the_latency_with_the_handlers_answer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let handler: Handler = Arc::new(|request: &HubRequest| {
            Answer::new(201)
                .insert_header("x-seen", request.url.path())
                .set_body_string(request.url.query().unwrap_or_default().to_owned())
        });
        let server = HubServer::start(listener, Duration::from_millis(30), handler).unwrap();
        let started = std::time::Instant::now();
        let (status, body) = http_get(&format!("{}/a/b?c=d", server.uri())).await;
        let took = started.elapsed();
        assert_eq!(status, 201);
        assert_eq!(body, "c=d");
        assert!(took >= Duration::from_millis(30), "{took:?}");
        let uri = server.uri().to_owned();
        drop(server);
        // Stopped: nothing listens any more.
        assert!(
            tokio::net::TcpStream::connect(uri.trim_start_matches("http://"))
                .await
                .is_err()
        );
    }
}
