//! udp-upper-server: Kurose and Ross's UDPServer. Handout: docs/labs/upper.md
//!
//! What it must do (the grader checks exactly this):
//! - bind a UDP socket to `--host`:`--port` (default 127.0.0.1:12000);
//! - reply every datagram uppercased (Unicode-aware), as one datagram, to the address it
//!   came from, from this same socket;
//! - keep serving until stopped with Ctrl-C: a datagram that is not UTF-8 gets an error
//!   reply and never stops the server.
//!
//! Run it:   cargo run -p upper --bin udp-upper-server
//! Grade it: cargo grade upper

use clap::Parser;

/// The UDP uppercase server: one datagram in, the same text uppercased out.
#[derive(Parser)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind.
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port);
}

/// Uppercases every datagram back to its sender, forever.
fn serve(host: &str, port: u16) {
    // TODO 1: bind a std::net::UdpSocket to (host, port); on failure print one line to
    //         stderr and exit with status 1.
    // TODO 2: in a loop, recv_from() into a buffer of 65,535 bytes: one datagram is one
    //         whole request, with its sender's address.
    // TODO 3: decode it with std::str::from_utf8 and send_to() the sender
    //         text.to_uppercase(), or an "ERR ..." reply when it is not UTF-8 (Python's
    //         .decode() raises there, and an uncaught exception stops the server).
    todo!("udp-upper-server: bind {host}:{port} and uppercase every datagram (see the TODO steps above)")
}
