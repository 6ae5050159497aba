//! tcp-echo-client: the lecture's TCP echo client. Handout: docs/labs/echo.md
//!
//! What it must do (the grader checks exactly this):
//! - connect once to the server at `--host`:`--port` (default 127.0.0.1:65432);
//! - for each WORD argument (default: `Mon Tue Wed Thu Fri`), in order: send the word
//!   (its bytes, nothing more), wait for its whole echo, print `Received: <reply>`;
//! - exit 0; when it cannot (no server, no echo), print one line to stderr and exit 1.
//!
//! Run it:   cargo run -p echo --bin tcp-echo-client -- Mon Tue
//! Grade it: cargo grade echo

use clap::Parser;

/// The TCP echo client: sends words, prints their echoes.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 65432)]
    port: u16,
    /// Words to send, one after another.
    #[arg(default_values_t = ["Mon", "Tue", "Wed", "Thu", "Fri"].map(String::from))]
    words: Vec<String>,
}

fn main() {
    let args = Args::parse();
    talk(&args.host, args.port, &args.words);
}

/// Sends each word on one connection and prints its echo.
fn talk(host: &str, port: u16, words: &[String]) {
    // TODO 1: connect a std::net::TcpStream to (host, port). If that fails, print one
    //         line to stderr and exit with status 1.
    // TODO 2: set a read timeout (set_read_timeout) so a silent server cannot make the
    //         client wait forever.
    // TODO 3: for each word: write_all() its bytes. The echo is exactly as long as the
    //         word, but TCP may deliver it in pieces: read until you have word.len()
    //         bytes (read_exact does), then decode them and print  Received: <reply>.
    //         The lecture's client sleeps a second instead; yours must not need to.
    todo!("tcp-echo-client: send {words:?} to {host}:{port} (see the TODO steps above)")
}
