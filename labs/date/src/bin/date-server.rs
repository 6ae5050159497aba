//! date-server: Lab 3, exercise 1, the "What time is it?" server. Handout: docs/labs/date.md
//!
//! What it must do (the grader checks exactly this):
//! - listen on TCP `--host`:`--port` (default 127.0.0.1:6015);
//! - for each connection: read one request line (any text ending in `\n`; the client
//!   sends `What time is it?`), reply one line, the current date and time in RFC 3339
//!   with seconds (`2026-11-21T23:25:51Z`), then close the connection;
//! - a client that connects and stays silent must not delay anyone else;
//! - keep running until it is stopped with Ctrl-C.
//!
//! Run it:   cargo run -p date --bin date-server
//! Grade it: cargo grade date

use clap::Parser;

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

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port);
}

/// Listens on `host:port` and answers every client with the time, forever.
fn serve(host: &str, port: u16) {
    // TODO 1: bind a std::net::TcpListener to (host, port). If that fails, print one
    //         line to stderr (eprintln!) and exit with status 1.
    // TODO 2: loop over listener.incoming(). Handle each client on a thread of its
    //         own (std::thread::spawn(move || ...)), so that the loop goes straight
    //         back to accept(): a client that never sends its request must not hold up
    //         the next one. (An iterative server, serving each client inside the loop,
    //         is stuck on a silent client; a read timeout only shortens the wait.)
    // TODO 3: in the thread, read one line: wrap the stream in a BufReader and call
    //         read_line (or read_until(b'\n', ..)). 0 bytes read means the client
    //         closed without a request: just return.
    // TODO 4: write the reply line, the time in RFC 3339 followed by "\n". The `time`
    //         crate is a dependency of this package:
    //             use time::{format_description::well_known::Rfc3339, OffsetDateTime};
    //             let now = OffsetDateTime::now_utc().format(&Rfc3339)?;
    //         (UTC is written with a Z at the end, which means +00:00.)
    // TODO 5: return from the thread: dropping the stream closes the connection, which
    //         tells the client that the reply is complete. Print errors of one client
    //         to stderr; they must never stop the server.
    todo!("date-server: listen on {host}:{port} and answer every request with the time (see the TODO steps above)")
}
