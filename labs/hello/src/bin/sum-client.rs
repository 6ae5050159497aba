//! sum-client: Lab 1, exercise 4. Handout: docs/labs/hello.md
//!
//! What it must do (the grader checks exactly this):
//! - connect to the sum server at `--host`:`--port` (default 127.0.0.1:65433);
//! - send its NUMBER arguments as one line, separated by spaces and ended by `\n`;
//! - read the reply line and print it; exit 0. When it cannot (no server, no reply),
//!   print one line to stderr and exit 1.
//!
//! Run it:   cargo run -p hello --bin sum-client -- 1 2 3.5
//! Grade it: cargo grade hello

use clap::Parser;

/// The sum client: asks the server to add up some numbers.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 65433)]
    port: u16,
    /// The numbers to add up.
    #[arg(allow_negative_numbers = true)]
    numbers: Vec<String>,
}

fn main() {
    let args = Args::parse();
    ask(&args.host, args.port, &args.numbers);
}

/// Sends the numbers as one line and prints the server's one-line reply.
fn ask(host: &str, port: u16, numbers: &[String]) {
    // TODO 1: connect a TcpStream to (host, port); on failure print one line to stderr
    //         and exit with status 1.
    // TODO 2: send numbers.join(" ") followed by "\n".
    // TODO 3: read the reply up to its '\n' (a BufReader and read_line), then print it
    //         without the newline.
    todo!("sum-client: send {numbers:?} to {host}:{port} and print the reply (see the TODO steps above)")
}
