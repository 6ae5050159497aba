//! varsize-client: Lab 1, exercise 5. Handout: docs/labs/varsize.md
//!
//! What it must do (the grader checks exactly this):
//! - read stdin to its end: that is the message, whatever its size or bytes;
//! - connect to `--host`:`--port` (default 127.0.0.1:65434) and send it once, followed
//!   by the token `<EOF>`, or with `--framing length` after a 4-byte big-endian length;
//! - read the whole reply, in as many reads as it takes, and write its payload (without
//!   the framing) to stdout byte for byte: no newline added, no text conversion;
//! - exit 0; when it cannot (no server, no reply, the connection closed early), print
//!   one line to stderr and exit 1.
//!
//! Run it:   echo -n "Hello world" | cargo run -p varsize --bin varsize-client
//! Grade it: cargo grade varsize

use clap::{Parser, ValueEnum};

/// The variable-size client: sends stdin as one message, prints the reply.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
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
    talk(&args.host, args.port, args.framing);
}

/// Sends stdin as one message and writes the reply's payload to stdout.
fn talk(host: &str, port: u16, framing: Framing) {
    let _ = framing;
    // TODO 1: read all of stdin into a Vec<u8> (std::io::stdin().read_to_end): bytes,
    //         not a String, so that any data goes through unchanged.
    // TODO 2: connect a std::net::TcpStream to (host, port) and set a read timeout.
    //         If that fails, print one line to stderr and exit with status 1.
    // TODO 3: send the message once, framed: the bytes then "<EOF>", or with
    //         --framing length (len as u32).to_be_bytes() then the bytes.
    // TODO 4: read the reply in a loop until it is complete (the token has arrived,
    //         or as many bytes as the length said: read_exact does that), however many
    //         reads it takes. A read of 0 bytes before that is an error.
    // TODO 5: write the payload to stdout with write_all (not println!, which adds a
    //         newline) and exit 0.
    todo!("varsize-client: send stdin to {host}:{port} as one message and print the reply (see the TODO steps above)")
}
