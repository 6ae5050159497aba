//! The network side of calc-gui: yours to write (docs/labs/calc.md).
//!
//! What it must do (the window in app.rs relies on exactly this):
//! - the window must never wait for the network: a frame that blocks in connect() or
//!   recv() freezes the whole window. So the window hands each request to a thread of
//!   its own, the network thread, through a channel ([`Worker::send`]), and looks for
//!   the answer in every frame without waiting ([`Worker::poll`]);
//! - [`ask`] makes one request and waits for its reply, on the network thread only.
//!   Every wait has a deadline: a slow or dead server gives an `Err("timeout ...")`,
//!   never a hang. Over TCP: connect (2 s), send the request and `\n`, read the reply
//!   line (2 s). Over UDP: send the request as one datagram, wait 1 s for the reply,
//!   send it again, up to 3 times.
//!
//! Until the network thread runs, the window says "the network thread is not running".

use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
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
    /// a closure that asks egui to repaint (an idle window draws nothing until then).
    pub fn start(wake: impl Fn() + Send + 'static) -> Worker {
        let (jobs, job_queue) = mpsc::channel::<Job>();
        let (answer_tx, answers) = mpsc::channel::<Answer>();
        // TODO 1: spawn the network thread (std::thread::spawn, with a `move` closure
        //         that takes job_queue, answer_tx and wake). In it, loop over job_queue
        //         (`for job in job_queue`: the loop ends when the window is gone); for
        //         each job call ask(&job), send Answer { id: job.id, reply } through
        //         answer_tx, then call wake() so the window shows it at once.
        let _ = (job_queue, answer_tx, wake);
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
/// calls it. `Ok` is the server's reply line without its newline; `Err` says, for a
/// person, why there is none ("connection refused: ...", "timeout: ...").
pub fn ask(job: &Job) -> Result<String, String> {
    // TODO 2: find the server's address: (job.host.as_str(), job.port).to_socket_addrs().
    // TODO 3: TCP: TcpStream::connect_timeout(&addr, TCP_TIMEOUT); set_read_timeout and
    //         set_write_timeout to TCP_TIMEOUT; write the request and "\n"; read the reply
    //         line with a BufReader (read_line) and return it without its "\n".
    // TODO 4: UDP: bind a UdpSocket to ("0.0.0.0", 0), connect() it to the server (then a
    //         closed port shows as "connection refused"), set_read_timeout(UDP_WAIT); send
    //         the request; on a timeout (WouldBlock or TimedOut) send it again, UDP_RETRIES
    //         times at most.
    // TODO 5: turn each io::Error into words for the status line: ConnectionRefused ->
    //         "connection refused: no calc-server on ...", a timeout -> "timeout: ...".
    todo!(
        "calc-gui: ask {:?} over {:?} at {}:{} (see the TODO steps above)",
        job.request,
        job.transport,
        job.host,
        job.port
    )
}
