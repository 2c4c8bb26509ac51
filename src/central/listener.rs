//! Accepting connections, with the limits a server on a network needs.
//!
//! `axum::serve` gives hyper no timer, so a client that sends half a
//! request line holds its connection (and a file descriptor) for ever,
//! and enough of them starve everyone. Here:
//! - at most `max_connections` are open: past it new ones wait in the
//!   kernel's backlog (they hold no descriptor of ours), and the cap is
//!   kept below the process's descriptor limit;
//! - a request's head must arrive within `header_timeout`, which hyper
//!   also starts when a kept-alive connection waits for its next request:
//!   the same bound closes idle keep-alive connections;
//! - a TLS handshake must finish within `handshake_timeout`;
//! - each request carries the peer's address (`ConnectInfo`), which the
//!   sign-in's per-address limits need;
//! - **uploads first**: a kiosk's upload (and `/healthz`) runs on the main
//!   runtime; signing in and out on a runtime of their own at nice 5;
//!   every other request — pages, reports, exports — on a third whose
//!   threads run at nice 10, at most `read_slots` at once. A bureau
//!   rendering a quarter's report, or a flood of logins, then takes the
//!   CPU only when uploads leave it, and never holds every database
//!   connection (SQLite has four readers; a kiosk's token check needs one).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The bounds on connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// Pages, reports and exports handled at once.
    pub read_slots: usize,
    pub header_timeout: Duration,
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            read_slots: READ_SLOTS,
            header_timeout: Duration::from_secs(15),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Requests other than uploads and sign-ins handled at once when the
/// database is SQLite, whose work for them runs in this process's
/// nice-10 threads; the rest wait their turn.
pub const READ_SLOTS: usize = 2;

/// The read slots for a database whose work runs in its own server
/// processes (PostgreSQL), at a priority this process cannot lower: half
/// the cores, at least one, so that reports never take every core from
/// the uploads' statements when the database shares the machine.
pub fn out_of_process_read_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// The nice value of the reads' threads (and the password checks').
pub const LOW_PRIORITY: i32 = 10;

/// Lowers the calling thread's CPU priority (Linux: nice is per thread).
/// A failure (a sandbox forbidding it) leaves the priority as it was.
pub fn lower_priority(nice: i32) {
    // SAFETY: gettid and setpriority take and return plain integers.
    unsafe {
        let tid = libc::gettid();
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice);
    }
}

/// The runtimes requests run on, by what they are.
#[derive(Clone)]
pub struct Lanes {
    /// Pages, reports, exports: [`READ_SLOTS`] at a time, at nice 10.
    pub reads: tokio::runtime::Handle,
    /// Signing in and out: never behind a report; a flood of them (most
    /// answered at once from the address's bucket) at nice 5, below the
    /// uploads.
    pub logins: tokio::runtime::Handle,
}

/// A runtime of `workers` threads (and its blocking pool) at `nice`.
pub fn lane(name: &str, workers: usize, nice: i32) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .on_thread_start(move || lower_priority(nice))
        .enable_all()
        .build()
}

/// A request that only reads (and may be long: a report, an export).
fn is_read(method: &axum::http::Method) -> bool {
    method == axum::http::Method::GET || method == axum::http::Method::HEAD
}

enum Lane {
    First,
    Login,
    Read,
}

/// A kiosk's upload and the health check on the main runtime, ahead of
/// everything; signing in and out on their own; the rest as reads.
fn lane_of(method: &axum::http::Method, path: &str) -> Lane {
    let kiosk_upload = method == axum::http::Method::PUT
        && path.starts_with("/api/v1/kiosks/")
        && (path.contains("/summaries/") || path.ends_with("/records") || path.ends_with("/rules"));
    if path == "/healthz" || kiosk_upload {
        Lane::First
    } else if path == "/login" || path == "/logout" {
        Lane::Login
    } else {
        Lane::Read
    }
}

/// How long a page or report waits for a read slot before it is told the
/// server is busy (a 503 to try again), rather than waiting unbounded
/// outside the handler's own time bound.
const SLOT_WAIT: Duration = Duration::from_secs(30);

/// A 503 made here, outside the routes: with the same headers as every
/// other answer.
fn unavailable(tls: bool, why: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut r =
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, [(axum::http::header::RETRY_AFTER, "5")], why).into_response();
    super::api::secure_headers(r.headers_mut(), tls);
    r
}

/// Descriptors kept free for the database, log and files: the cap on
/// connections stays this far below the soft `RLIMIT_NOFILE`.
const SPARE_FDS: u64 = 64;

/// `wanted`, lowered to fit the process's descriptor limit (at least 8).
pub fn fit_to_descriptors(wanted: usize) -> usize {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes only into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 || lim.rlim_cur == libc::RLIM_INFINITY {
        return wanted;
    }
    let room = lim.rlim_cur.saturating_sub(SPARE_FDS).max(8);
    wanted.min(usize::try_from(room).unwrap_or(usize::MAX))
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Serves `app` on `listener` until `shutdown` resolves, then gives open
/// connections 5 s to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    limits: Limits,
    lanes: Lanes,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let tls_on = tls.is_some();
    let read_slots = Arc::new(tokio::sync::Semaphore::new(limits.read_slots.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => match s { Ok(s) => s, Err(_) => break },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it
                    // was taken: said, and tried again shortly (never a
                    // busy loop).
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, tls, watcher) = (app.clone(), tls.clone(), graceful.watcher());
        let (lanes, read_slots) = (lanes.clone(), read_slots.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let io: Box<dyn Io> = match tls {
                None => Box::new(stream),
                Some(acceptor) => match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(s)) => Box::new(s),
                    // A failed or slow handshake: nothing to answer.
                    _ => return,
                },
            };
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let mut app = app.clone();
                let (lanes, read_slots) = (lanes.clone(), read_slots.clone());
                async move {
                    let (runtime, slot) = match lane_of(req.method(), req.uri().path()) {
                        Lane::First => {
                            return Ok::<_, Infallible>(
                                tower_service::Service::call(&mut app, req).await.unwrap_or_else(|e| match e {}),
                            )
                        }
                        Lane::Login => (lanes.logins, None),
                        // Pages, reports and exports (GET) take a slot; the
                        // admin's forms (POST) do not: a client trickling a
                        // form's body must not hold a slot while it does.
                        Lane::Read if !is_read(req.method()) => (lanes.reads, None),
                        Lane::Read => match tokio::time::timeout(SLOT_WAIT, read_slots.acquire_owned()).await {
                            Ok(Ok(slot)) => (lanes.reads, Some(slot)),
                            _ => return Ok(unavailable(tls_on, "the server is busy with other reports; try again")),
                        },
                    };
                    // The slot goes with the work: a client that hangs up
                    // does not free it while its report is still running.
                    let handled = runtime.spawn(async move {
                        let _slot = slot;
                        tower_service::Service::call(&mut app, req).await
                    });
                    Ok(match handled.await {
                        Ok(Ok(r)) => r,
                        Ok(Err(e)) => match e {},
                        // A handler that panicked: said, the server goes on.
                        Err(e) => {
                            eprintln!("a request's handler failed: {e}");
                            unavailable(tls_on, "the server could not answer; try again")
                        }
                    })
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(TokioIo::new(io), service);
            // A timed-out or broken connection is the client's business.
            let _ = watcher.watch(conn).await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}
