//! logging-date-server: Lab 3, exercise 3, the LoggingDateServer (docs/labs/logging.md).
//!
//! The date server, and for every request a new file `log<N>.txt` in `--log-dir`
//! holding one line: `<RFC 3339 time> <client-ip>:<client-port> <request text>`.
//!
//! Right under concurrency by construction:
//! - N comes from one atomic counter, `fetch_add`: reading and incrementing it is a
//!   single step, so two clients served at the same moment never get the same N and
//!   no N is skipped. (A plain `n = counter; counter = n + 1` lets two threads both
//!   read the same n before either writes it back.)
//! - On start-up the counter starts past the highest `log<N>.txt` already there, so a
//!   restarted server continues instead of starting again at 0.
//! - A file is written under a temporary name first, then linked to its final name:
//!   nobody ever sees a half-written `log<N>.txt`. Linking (unlike renaming) fails if
//!   the name exists, so even a file that appeared behind our back (another server on
//!   the same directory) is never overwritten: we take the next N instead.
//! - The file is complete before the reply is sent.

use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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

const MAX_REQUEST: u64 = 4096;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The log directory and the next N, shared by every client's thread.
struct Log {
    dir: PathBuf,
    next: AtomicU64,
}

fn main() {
    let args = Args::parse();
    let next = match highest_log(&args.log_dir) {
        Ok(highest) => highest.map_or(0, |n| n + 1),
        Err(e) => {
            eprintln!("logging-date-server: cannot read the log directory {}: {e}", args.log_dir.display());
            std::process::exit(1);
        }
    };
    let log = Arc::new(Log { dir: args.log_dir, next: AtomicU64::new(next) });
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("logging-date-server: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("logging-date-server: listening on {}:{}, next file log{next}.txt", args.host, args.port);

    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream, &log) {
                        eprintln!("logging-date-server: client error: {e}");
                    }
                });
            }
            Err(e) => eprintln!("logging-date-server: accept failed: {e}"),
        }
    }
}

/// The highest N of the `log<N>.txt` files in `dir`. Other names (`notes.txt`,
/// `log7.txt.bak`, `logx.txt`) are not log files. Numbers are compared as numbers:
/// as names, "log9.txt" sorts after "log10.txt".
fn highest_log(dir: &Path) -> io::Result<Option<u64>> {
    let mut highest = None;
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(digits) = name.to_str().and_then(|n| n.strip_prefix("log")).and_then(|n| n.strip_suffix(".txt"))
        else {
            continue;
        };
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = digits.parse::<u64>() {
                highest = highest.max(Some(n));
            }
        }
    }
    Ok(highest)
}

fn serve(stream: TcpStream, log: &Log) -> io::Result<()> {
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    let client = stream.peer_addr()?;
    let mut request = Vec::new();
    let n = BufReader::new(&stream).take(MAX_REQUEST).read_until(b'\n', &mut request)?;
    if n == 0 {
        // Closed before any request line: no request, so no reply and no log file.
        return Ok(());
    }
    let text = String::from_utf8_lossy(&request);
    let text = text.trim_end_matches(['\n', '\r']);
    let now = now_rfc3339();
    // The log file first: it must be complete before the client sees the reply.
    // A SocketAddr displays as ip:port (an IPv6 one as [::1]:54321).
    let name = log.write(&format!("{now} {client} {text}\n"))?;
    eprintln!("logging-date-server: {client}: logged in {name}");
    (&stream).write_all(format!("{now}\n").as_bytes())?;
    Ok(())
}

impl Log {
    /// Writes `line` into a new `log<N>.txt` and returns its name.
    fn write(&self, line: &str) -> io::Result<String> {
        loop {
            // One atomic step: this thread alone gets n, whatever the others do.
            let n = self.next.fetch_add(1, Ordering::SeqCst);
            let name = format!("log{n}.txt");
            let final_path = self.dir.join(&name);
            // A temporary name that is not log<N>.txt, unique to this N.
            let temp_path = self.dir.join(format!(".log{n}.txt.{}.tmp", std::process::id()));
            let mut temp = OpenOptions::new().write(true).create_new(true).open(&temp_path)?;
            // Visible to readers once written; no fsync: the contract asks for a complete
            // file before the reply, not for one that survives a power cut.
            let written = temp.write_all(line.as_bytes());
            drop(temp);
            // hard_link fails with AlreadyExists instead of replacing the file there.
            let linked = written.and_then(|()| fs::hard_link(&temp_path, &final_path));
            let _ = fs::remove_file(&temp_path);
            match linked {
                Ok(()) => return Ok(name),
                // Someone else made log<n>.txt: leave it alone and take the next N.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// The current time in UTC, in RFC 3339 with whole seconds: `2026-11-21T23:25:51Z`.
fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&Rfc3339).expect("a time between the years 0 and 9999 has an RFC 3339 form")
}
