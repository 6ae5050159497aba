//! date-server: Lab 3, exercise 1, the "What time is it?" server (docs/labs/date.md).
//!
//! For each connection: read one request line (any text), reply one line, the current
//! date and time in RFC 3339 (`2026-11-21T23:25:51Z`), and close the connection.
//! A fixed pool of threads serves the clients, each thread running the iterative
//! server's loop (accept, serve, accept again) on the one shared listener: a client that
//! connects and never sends its request holds up one thread, and the others keep serving.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use clap::Parser;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The date server: tells every client the current date and time.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 6015)]
    port: u16,
}

/// The longest request line read: a client cannot make the server buffer without end.
const MAX_REQUEST: u64 = 4096;

/// How many clients are served at once: the threads of the pool. A client that never
/// speaks holds one of them until REQUEST_TIMEOUT; it takes this many such clients at
/// once to make the others wait.
const WORKERS: usize = 32;

/// How long a client may take to send its request. Only the thread serving it waits;
/// the timeout gives that thread back to the pool when a client never speaks.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    let args = Args::parse();
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("date-server: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("date-server: listening on {}:{}", args.host, args.port);

    // A pool of threads started once, rather than a thread per connection: starting a
    // thread costs more than a whole date request (its stack is mapped, protected and
    // unmapped again). Every thread blocks in accept() on the same listener and the
    // kernel hands each new connection to one of them, so whichever thread is free serves
    // the next client, while the ones waiting for a slow client wait on their own.
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| accept_and_serve(&listener));
        }
    });
}

/// The iterative server's loop: one client after another, forever.
fn accept_and_serve(listener: &TcpListener) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                if let Err(e) = serve(stream) {
                    eprintln!("date-server: client error: {e}");
                }
            }
            Err(e) => eprintln!("date-server: accept failed: {e}"),
        }
    }
}

/// Reads one request line, replies the time, and closes (by dropping the stream).
fn serve(stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    let mut request = Vec::new();
    // A request ends at '\n'; read_until keeps reading until the whole line is in,
    // however the bytes were split on the way.
    let n = BufReader::new(&stream).take(MAX_REQUEST).read_until(b'\n', &mut request)?;
    if n == 0 {
        // The client closed before sending anything: no request, no reply.
        return Ok(());
    }
    let reply = format!("{}\n", now_rfc3339());
    (&stream).write_all(reply.as_bytes())?;
    // Returning drops the stream, which closes the connection: the client reads the
    // line, then end-of-stream.
    Ok(())
}

/// The current time in UTC, in RFC 3339 with whole seconds: `2026-11-21T23:25:51Z`.
/// UTC is written with `Z` (the same as `+00:00`); a local time would need the local
/// offset instead, such as `2026-11-22T10:25:51+11:00`.
fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&Rfc3339).expect("a time between the years 0 and 9999 has an RFC 3339 form")
}
