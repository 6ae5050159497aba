//! hello-server: Lab 1, exercises 1 and 3. Handout: docs/labs/hello.md
//!
//! What it must do (the grader checks exactly this):
//! - listen on TCP `--host`:`--port` (default 127.0.0.1:65432);
//! - for every read that returns data, reply
//!   `I got "<data>" from you and I am sending it back.` (no newline after it);
//! - when a client closes its connection, go back and serve the next client: the server
//!   keeps running until it is stopped with Ctrl-C.
//!
//! Run it:   cargo run -p hello --bin hello-server
//! Grade it: cargo grade hello

use clap::Parser;

/// The Hello World server: replies to every message it reads.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 65432)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port);
}

/// Listens on `host:port` and serves clients one after another, forever.
fn serve(host: &str, port: u16) {
    // TODO 1: bind a std::net::TcpListener to (host, port). If that fails, print one
    //         line to stderr (eprintln!) and exit with status 1.
    // TODO 2: loop over listener.incoming(): each item is one client's TcpStream.
    //         Exercise 3: the loop is what keeps the server running after a client.
    // TODO 3: for each client, read() into a buffer until read() returns 0 (the client
    //         closed). For every read of n > 0 bytes, write_all() the reply
    //         I got "<data>" from you and I am sending it back.
    //         where <data> is String::from_utf8_lossy(&buf[..n]).
    // TODO 4: an error with one client (a reset connection) must not stop the server:
    //         print it to stderr and go on to the next client.
    todo!("hello-server: listen on {host}:{port} and reply to every read (see the TODO steps above)")
}
