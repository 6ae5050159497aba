//! varsize-server: Lab 1, exercise 5. Handout: docs/labs/varsize.md
//!
//! What it must do (the grader checks exactly this):
//! - listen on TCP `--host`:`--port` (default 127.0.0.1:65434);
//! - a message is any bytes followed by the token `<EOF>`; for each complete message,
//!   reply with the same bytes followed by `<EOF>`;
//! - with `--framing length`, a message is instead a 4-byte big-endian length followed
//!   by that many bytes, and the reply uses the same framing (payloads may then
//!   contain `<EOF>`);
//! - any number of messages per connection, split or joined by TCP in any way: two
//!   messages in one read, a token split across two reads; messages up to 64 MiB, in
//!   time and memory linear in their size;
//! - serve one client after another until stopped with Ctrl-C; a client that leaves in
//!   the middle of a message is forgotten, not a reason to exit.
//!
//! Run it:   cargo run -p varsize --bin varsize-server
//! Grade it: cargo grade varsize

use clap::{Parser, ValueEnum};

/// The variable-size echo server: replies to every complete message.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 65434)]
    port: u16,
    /// How a message ends: with the <EOF> token, or after a 4-byte length prefix.
    #[arg(long, value_enum, default_value_t = Framing::Eof)]
    framing: Framing,
}

#[derive(Clone, Copy, ValueEnum)]
enum Framing {
    Eof,
    Length,
}

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port, args.framing);
}

/// Listens on `host:port` and echoes every complete message of every client.
fn serve(host: &str, port: u16, framing: Framing) {
    let _ = framing;
    // TODO 1: bind a std::net::TcpListener to (host, port); on failure print one line
    //         to stderr and exit with status 1. Loop over listener.incoming().
    // TODO 2: for each client keep a Vec<u8> of bytes received but not yet answered.
    //         read() into a buffer of 64 KiB in a loop and append what you got: one
    //         read() may hold part of a message, or several messages. read() returning
    //         0 means the client closed: go back to accept the next one.
    // TODO 3: after each read, take every complete message out of the front of the
    //         Vec and write_all() its reply. Eof framing: a message ends at "<EOF>";
    //         search only the new bytes (and the 4 bytes before them: the token may be
    //         split across reads), or 64 MiB will take minutes. (A BufReader can do the
    //         buffering: read_until(b'>', &mut message) reads up to the next '>'; then
    //         see whether the message ends with <EOF>.) Length framing:
    //         u32::from_be_bytes on the first 4 bytes, then wait for that many more.
    // TODO 4: an error with one client must not stop the server: print it to stderr
    //         and go on to the next client.
    todo!("varsize-server: listen on {host}:{port} and echo every complete message (see the TODO steps above)")
}
