//! logging-date-server: Lab 3, exercise 3, the LoggingDateServer. Handout: docs/labs/logging.md
//!
//! What it must do (the grader checks exactly this):
//! - everything date-server does (docs/labs/date.md), on `--port` (default 6016);
//! - for every request, before the reply: a new file `log<N>.txt` in `--log-dir`
//!   (default: the working directory) holding one line,
//!   `<RFC 3339 time> <client-ip>:<client-port> <request text>`, such as
//!   `2026-11-21T23:25:51Z 127.0.0.1:54321 What time is it?`;
//! - N counts 0, 1, 2, ... with no gaps; on start-up it continues past the highest
//!   `log<N>.txt` already in the directory; a file is never overwritten;
//! - requests served at the same moment never share an N, and none is lost;
//! - a connection closed before any request line gets no reply and no file.
//!
//! Run it:   cargo run -p logging --bin logging-date-server -- --log-dir /tmp/logs
//! Grade it: cargo grade logging

use std::path::PathBuf;

use clap::Parser;

/// The logging date server: tells every client the time and logs every request.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 6016)]
    port: u16,
    /// Directory for the log files.
    #[arg(long, default_value = ".")]
    log_dir: PathBuf,
}

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port, args.log_dir);
}

/// Serves the date protocol on `host:port`, logging every request into `log_dir`.
fn serve(host: &str, port: u16, log_dir: PathBuf) {
    // TODO 1: find the highest N of the files named exactly log<N>.txt in log_dir
    //         (std::fs::read_dir; strip_prefix("log"), strip_suffix(".txt"), all
    //         digits, parse::<u64>() and compare numbers: as text "log9" > "log10").
    //         The first N is that plus one, or 0 when there is none.
    // TODO 2: keep the next N in a std::sync::atomic::AtomicU64 inside an Arc, shared
    //         by every client thread. fetch_add(1, Ordering::SeqCst) reads and
    //         increments it in one step: two clients served at once never get the
    //         same N. (let n = counter; counter = n + 1; is a race: both can read 5.)
    // TODO 3: bind the listener and serve each client on its own thread, exactly as
    //         date-server does (docs/labs/date.md).
    // TODO 4: in the thread, read the request line; 0 bytes means no request: return
    //         without a reply and without a file. Take the client's address from
    //         stream.peer_addr() (it prints as ip:port).
    // TODO 5: write "<time> <ip>:<port> <request text>\n" into log<N>.txt. Open it
    //         with OpenOptions::new().write(true).create_new(true): it fails rather
    //         than overwrite a file. Better still, write a temporary file and
    //         std::fs::hard_link it to log<N>.txt, so nobody sees it half-written.
    // TODO 6: only then write the reply line (the time in RFC 3339, "\n") and close.
    todo!("logging-date-server: serve {host}:{port}, logging into {} (see the TODO steps above)", log_dir.display())
}
