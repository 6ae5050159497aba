//! sum-server: Lab 1, exercise 4. Handout: docs/labs/hello.md
//!
//! What it must do (the grader checks exactly this):
//! - listen on TCP `--host`:`--port` (default 127.0.0.1:65433), serve clients one after
//!   another, and keep running;
//! - read requests one line at a time (a line ends with `\n`; accept `\r\n` too); a
//!   request is numbers separated by whitespace, and a connection may send many;
//! - reply one line (ending in `\n`) per request with the sum:
//!   - all integers: an integer, added exactly as i64; past i64: `ERR overflow`
//!   - any decimal (`2.5`): a decimal
//!   - an empty line: `0`
//!   - a token that is not a number: `ERR not a number: <token>`, and keep serving.
//!
//! Run it:   cargo run -p hello --bin sum-server
//! Grade it: cargo grade hello

use clap::Parser;

/// The sum server: adds up the numbers on each line it receives.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 65433)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port);
}

/// Listens on `host:port` and answers every request line of every client.
fn serve(host: &str, port: u16) {
    // TODO 1: bind a TcpListener and loop over incoming() as in hello-server.
    // TODO 2: wrap each client's stream in a std::io::BufReader and read it line by
    //         line (read_line): TCP is a byte stream, so one read() is not one request.
    // TODO 3: for each line, add up line.split_whitespace(): try token.parse::<i64>()
    //         first (use checked_add to spot overflow), then token.parse::<f64>().
    // TODO 4: write the reply followed by "\n" (the client reads up to the newline).
    todo!("sum-server: listen on {host}:{port} and answer each line with its sum (see the TODO steps above)")
}
