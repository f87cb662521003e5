//! A loopback TCP proxy in front of a test server. In `cut` mode it passes
//! a request to the server and drops the answer, closing the client's
//! connection: the server has acted, the device never hears of it, as when
//! a phone loses the network mid-exchange.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    cut: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy to `target` on a free loopback port.
    pub async fn start(target: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cut = Arc::new(AtomicBool::new(false));
        let cut_flag = cut.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let cut = cut_flag.clone();
                tokio::spawn(async move {
                    let _ = relay(client, target, cut).await;
                });
            }
        });
        Ok(Proxy { addr, cut, task })
    }

    /// The URL devices use to reach the server through the proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// In cut mode, answers are dropped.
    pub fn set_cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    mut client: TcpStream,
    target: SocketAddr,
    cut: Arc<AtomicBool>,
) -> std::io::Result<()> {
    let mut server = TcpStream::connect(target).await?;
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let upstream = tokio::io::copy(&mut client_read, &mut server_write);
    let downstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0 {
                return Ok::<(), std::io::Error>(());
            }
            if cut.load(Ordering::SeqCst) {
                // The server answered: drop the answer and hang up.
                return Err(std::io::Error::other("cut"));
            }
            client_write.write_all(&buf[..n]).await?;
        }
    };
    tokio::select! {
        r = upstream => { r?; }
        r = downstream => { r?; }
    }
    Ok(())
}

/// A loopback load balancer in front of several server instances, as a
/// deployment puts one (HAProxy, nginx): each new connection goes to the
/// first of `targets` that accepts it, so a device stays with its
/// preferred instance while that runs and moves to the next when it dies.
/// Bytes pass unchanged both ways.
pub struct Balancer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Balancer {
    /// Starts a balancer over `targets` (in order of preference) on a free
    /// loopback port.
    pub async fn start(targets: Vec<SocketAddr>) -> std::io::Result<Balancer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let targets = Arc::new(targets);
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let targets = targets.clone();
                tokio::spawn(async move {
                    for target in targets.iter() {
                        if let Ok(mut server) = TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            return;
                        }
                    }
                    // None runs: the client sees the connection close.
                });
            }
        });
        Ok(Balancer { addr, task })
    }

    /// The URL devices use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A loopback TCP relay that can be switched off, as a network between a
/// server and its database fails: while down, every connection through it
/// is dropped and new ones are closed at once.
pub struct Blackout {
    pub addr: SocketAddr,
    down: tokio::sync::watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Blackout {
    /// Starts a relay to `target` on a free loopback port.
    pub async fn start(target: SocketAddr) -> std::io::Result<Blackout> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (down, watch) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if *watch.borrow() {
                    continue; // dropped: the client sees it close
                }
                let mut watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = watch.wait_for(|down| *down) => {}
                    }
                });
            }
        });
        Ok(Blackout { addr, down, task })
    }

    /// Cuts every connection and refuses new ones (`true`), or lets them
    /// through again.
    pub fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }
}

impl Drop for Blackout {
    fn drop(&mut self) {
        self.task.abort();
    }
}
