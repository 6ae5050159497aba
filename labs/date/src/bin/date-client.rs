//! date-client: Lab 3, exercise 2, the "What time is it?" client. Handout: docs/labs/date.md
//!
//! What it must do (the grader checks exactly this):
//! - connect to the server at `--host`:`--port` (default 127.0.0.1:6015);
//! - send the line `What time is it?` (with `\n` at its end);
//! - read the one-line reply and print it as it is, on a line of its own; exit 0;
//! - when it cannot (no server, no reply), print one line to stderr and exit 1.
//!
//! Run it:   cargo run -p date --bin date-client
//! Grade it: cargo grade date

use clap::Parser;

/// The date client: asks the server for the time and prints its answer.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 6015)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    ask(&args.host, args.port);
}

/// Asks the server at `host:port` for the time and prints the reply.
fn ask(host: &str, port: u16) {
    // TODO 1: connect a std::net::TcpStream to (host, port). If that fails (no server
    //         there), print one line to stderr and exit with status 1
    //         (std::process::exit(1)).
    // TODO 2: set a read timeout (set_read_timeout), so that a silent server cannot
    //         make the client wait forever.
    // TODO 3: write_all the request: b"What time is it?\n". The '\n' matters: the
    //         server reads one whole line.
    // TODO 4: read the reply line (a BufReader and read_line), print it without its
    //         "\n" using println!. An empty reply (the server closed without one) or a
    //         timeout is an error: one line to stderr, exit 1.
    todo!("date-client: ask {host}:{port} for the time (see the TODO steps above)")
}
