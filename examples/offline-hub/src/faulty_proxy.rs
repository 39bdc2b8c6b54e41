//! A loopback proxy that breaks connections on purpose: every n-th connection is reset before
//! it is answered, or answered with its body cut short — the faults no HTTP answer can make.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Close it with a TCP reset, without answering.
    Reset,
    /// Answer with the status line and headers, then half of the body, then close.
    Truncate,
    /// Pass the answer through.
    None,
}

/// A proxy in front of an HTTP server on loopback, one request per connection.
///
/// Connection number `n` (from 1) is faulted when `n` is a multiple of `every`: resets and
/// truncated bodies alternate. Deterministic by connection count; `every < 2` means no faults.
#[derive(Debug)]
pub struct FaultyProxy {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    faults: Arc<AtomicUsize>,
}

impl FaultyProxy {
    /// Start a proxy to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str, every: usize) -> std::io::Result<Self> {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let connections = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(AtomicUsize::new(0));
        let (seen, faulted) = (connections.clone(), faults.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
                let fault = if every >= 2 && n.is_multiple_of(every) {
                    faulted.fetch_add(1, Ordering::SeqCst);
                    if (n / every) % 2 == 1 {
                        Fault::Reset
                    } else {
                        Fault::Truncate
                    }
                } else {
                    Fault::None
                };
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, fault).await;
                });
            }
        });
        Ok(Self {
            addr,
            connections,
            faults,
        })
    }

    /// The proxy's base URL.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Connections faulted so far.
    pub fn faults(&self) -> usize {
        self.faults.load(Ordering::SeqCst)
    }
}

/// Read one request head (GET: no body), forward it, and answer as `fault` says.
async fn serve(mut client: TcpStream, upstream: &str, fault: Fault) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > 1 << 20 {
            return Ok(());
        }
    }
    if fault == Fault::Reset {
        // A zero linger turns the close into a reset; it does not block.
        #[allow(deprecated)]
        client.set_linger(Some(std::time::Duration::ZERO))?;
        return Ok(());
    }
    // One request per connection: ask the server to close, and tell the client it will.
    let text = String::from_utf8_lossy(&head);
    let mut request: String = text
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .take_while(|line| !line.is_empty())
        .map(|line| format!("{line}\r\n"))
        .collect();
    request.push_str("connection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return client.write_all(&answer).await;
    };
    let (head, body) = answer.split_at(split + 4);
    let head = String::from_utf8_lossy(head);
    let mut out: String = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .map(|line| format!("{line}\r\n"))
        .collect();
    out.push_str("connection: close\r\n\r\n");
    client.write_all(out.as_bytes()).await?;
    let body = match fault {
        Fault::Truncate => &body[..body.len() / 2],
        _ => body,
    };
    client.write_all(body).await?;
    client.shutdown().await
}
