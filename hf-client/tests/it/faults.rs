//! Faults wiremock cannot make: connections reset and bodies cut short, from a raw TCP server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{list_item, quick_retry};

/// What the raw server does with the n-th connection.
#[derive(Clone, Copy)]
enum Fault {
    /// Close the connection without answering.
    Reset,
    /// Announce a body longer than the one sent, then close.
    Truncate,
    /// Answer properly.
    Answer,
}

/// A one-route HTTP/1.1 server that applies `faults` to its connections in order, then answers.
async fn faulty_server(faults: Vec<Fault>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let fault = faults.get(n).copied().unwrap_or(Fault::Answer);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let body = serde_json::to_vec(&list_item("raw/model")).unwrap();
                match fault {
                    Fault::Reset => {
                        // A zero linger makes the close a TCP reset; it does not block.
                        #[allow(deprecated)]
                        let _ = socket.set_linger(Some(std::time::Duration::ZERO));
                        drop(socket);
                    }
                    Fault::Truncate => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = socket.write_all(head.as_bytes()).await;
                        let _ = socket.write_all(&body[..body.len() / 2]).await;
                        let _ = socket.shutdown().await;
                    }
                    Fault::Answer => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = socket.write_all(head.as_bytes()).await;
                        let _ = socket.write_all(&body).await;
                        let _ = socket.shutdown().await;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), count)
}

fn raw_client(endpoint: &str) -> hf_client::HfClient {
    hf_client::HfClientBuilder::new()
        .with_endpoint(endpoint)
        .with_retry(quick_retry())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_connection_reset_is_retried_and_succeeds() {
    let (endpoint, connections) = faulty_server(vec![Fault::Reset, Fault::Reset]).await;
    let client = raw_client(&endpoint);
    let info = client.models().info("raw/model").send().await.unwrap();
    assert_eq!(info.id, "raw/model");
    assert_eq!(connections.load(Ordering::SeqCst), 3);
    assert_eq!(client.stats().retries, 2);
}

#[tokio::test]
async fn a_truncated_body_is_retried_and_succeeds() {
    let (endpoint, connections) = faulty_server(vec![Fault::Truncate]).await;
    let client = raw_client(&endpoint);
    let info = client.models().info("raw/model").send().await.unwrap();
    assert_eq!(info.id, "raw/model");
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn persistent_resets_end_in_a_transport_error_naming_the_url() {
    let (endpoint, connections) = faulty_server(vec![Fault::Reset; 100]).await;
    let err = raw_client(&endpoint)
        .models()
        .info("raw/model")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, hf_client::Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("/api/models/raw/model"), "{err}");
    assert_eq!(connections.load(Ordering::SeqCst), 5);
}
