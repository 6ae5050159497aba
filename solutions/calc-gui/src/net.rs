//! The network side of calc-gui: one request to a calc server, with deadlines, and the
//! thread that makes those requests so that the window never waits for the network.
//!
//! The window sends a [`Job`] through a channel and goes on drawing; the network
//! thread does the blocking I/O and sends an [`Answer`] back through another channel,
//! then asks the window to repaint (it may be idle, waiting for input) so that it sees
//! the answer at once.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread;
use std::time::Duration;

/// How the window talks to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

/// One request for the network thread.
#[derive(Clone, Debug)]
pub struct Job {
    /// Numbers the requests, so that the window knows which one an answer is for.
    pub id: u64,
    pub transport: Transport,
    pub host: String,
    pub port: u16,
    /// `+ 4 5`
    pub request: String,
}

/// What became of a [`Job`].
#[derive(Clone, Debug)]
pub struct Answer {
    pub id: u64,
    /// The server's reply line (`9`, `ERR division by zero`), or why there is none.
    pub reply: Result<String, String>,
}

/// How long connecting, or waiting for a TCP reply, may take.
pub const TCP_TIMEOUT: Duration = Duration::from_secs(2);
/// How long to wait for a UDP reply before sending the request again.
pub const UDP_WAIT: Duration = Duration::from_secs(1);
/// How many times a UDP request is sent again before giving up.
pub const UDP_RETRIES: u32 = 3;

/// The window's end of the network thread.
pub struct Worker {
    jobs: Sender<Job>,
    answers: Receiver<Answer>,
}

impl Worker {
    /// Starts the network thread. `wake` is called after each answer: the window passes
    /// a closure that asks egui to repaint.
    pub fn start(wake: impl Fn() + Send + 'static) -> Worker {
        let (jobs, job_queue) = mpsc::channel::<Job>();
        let (answer_tx, answers) = mpsc::channel::<Answer>();
        let spawned = thread::Builder::new().name("calc-network".into()).spawn(move || {
            // Ends when the window (the Sender of jobs) is gone.
            for job in job_queue {
                let answer = Answer { id: job.id, reply: ask(&job) };
                if answer_tx.send(answer).is_err() {
                    return;
                }
                wake();
            }
        });
        if let Err(e) = spawned {
            // No thread: the channel is closed, and the window says so on the first use.
            eprintln!("calc-gui: cannot start the network thread: {e}");
        }
        Worker { jobs, answers }
    }

    /// Hands a job to the network thread; never blocks.
    pub fn send(&self, job: Job) -> Result<(), String> {
        self.jobs.send(job).map_err(|_| "the network thread is not running".to_string())
    }

    /// The next answer, if one has come; never blocks.
    pub fn poll(&self) -> Result<Option<Answer>, String> {
        match self.answers.try_recv() {
            Ok(answer) => Ok(Some(answer)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err("the network thread has stopped".to_string()),
        }
    }
}

/// Sends one request and waits for its reply: blocking, so only the network thread
/// calls it. Every wait has a deadline.
pub fn ask(job: &Job) -> Result<String, String> {
    let server = resolve(&job.host, job.port)?;
    let asked = match job.transport {
        Transport::Tcp => ask_tcp(server, &job.request),
        Transport::Udp => ask_udp(server, &job.request),
    };
    asked.map_err(|e| describe(&e, job, server))
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let mut addrs = (host, port).to_socket_addrs().map_err(|e| format!("bad host {host:?}: {e}"))?;
    addrs.next().ok_or_else(|| format!("no address for host {host:?}"))
}

/// TCP: connect, send the request as a line, read the reply line.
fn ask_tcp(server: SocketAddr, request: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&server, TCP_TIMEOUT)?;
    stream.set_read_timeout(Some(TCP_TIMEOUT))?;
    stream.set_write_timeout(Some(TCP_TIMEOUT))?;
    stream.write_all(format!("{request}\n").as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    if !reply.ends_with('\n') {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection without a reply"));
    }
    Ok(reply.trim_end_matches(['\r', '\n']).to_string())
}

/// UDP: send the request as a datagram; no reply within UDP_WAIT, send it again.
fn ask_udp(server: SocketAddr, request: &str) -> io::Result<String> {
    let socket = UdpSocket::bind(if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })?;
    // Only the server's datagrams get through, and a closed port is reported.
    socket.connect(server)?;
    socket.set_read_timeout(Some(UDP_WAIT))?;
    let mut buf = [0u8; 65_536];
    for _ in 0..=UDP_RETRIES {
        socket.send(request.as_bytes())?;
        match socket.recv(&mut buf) {
            Ok(n) => return Ok(String::from_utf8_lossy(&buf[..n]).trim_end_matches(['\r', '\n']).to_string()),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no reply after {} tries, {} s apart", UDP_RETRIES + 1, UDP_WAIT.as_secs()),
    ))
}

/// An error as a person reads it in the status line.
fn describe(e: &io::Error, job: &Job, server: SocketAddr) -> String {
    let proto = match job.transport {
        Transport::Tcp => "TCP",
        Transport::Udp => "UDP",
    };
    match e.kind() {
        io::ErrorKind::ConnectionRefused => format!("connection refused: no calc-server on {proto} {server}"),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => match job.transport {
            Transport::Tcp => format!("timeout: no reply from {proto} {server} within {} s", TCP_TIMEOUT.as_secs()),
            Transport::Udp => format!("timeout: {proto} {server}: {e}"),
        },
        _ => format!("{proto} {server}: {e}"),
    }
}
