//! udp-echo-server: the lecture's UDP echo server. Handout: docs/labs/echo.md
//!
//! What it must do (the grader checks exactly this):
//! - bind a UDP socket to `--host`:`--port` (default 127.0.0.1:6789);
//! - send every datagram it receives back, unchanged, to the address it came from,
//!   from this same socket; datagrams of any size up to 65,507 bytes;
//! - keep doing so until it is stopped with Ctrl-C.
//!
//! Run it:   cargo run -p echo --bin udp-echo-server
//! Grade it: cargo grade echo

use clap::Parser;

/// The UDP echo server: sends every datagram back to its sender.
#[derive(Parser)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind.
    #[arg(long, default_value_t = 6789)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port);
}

/// Echoes every datagram to its sender, forever.
fn serve(host: &str, port: u16) {
    // TODO 1: bind a std::net::UdpSocket to (host, port). If that fails, print one line
    //         to stderr and exit with status 1.
    // TODO 2: in a loop, recv_from() into a buffer of 65,535 bytes: it returns the
    //         datagram's length and its sender's address. A smaller buffer cuts long
    //         datagrams (the lecture's recvfrom(1024) loses everything past 1024 bytes).
    // TODO 3: send_to() the same bytes back to that address. An error with one datagram
    //         is printed to stderr, and the loop goes on.
    todo!("udp-echo-server: bind {host}:{port} and echo every datagram (see the TODO steps above)")
}
