//! tcp-echo-server: the lecture's TCP echo server. Handout: docs/labs/echo.md
//!
//! What it must do (the grader checks exactly this):
//! - listen on TCP `--host`:`--port` (default 127.0.0.1:65432);
//! - write back every byte it reads, read after read, until the client closes;
//! - then serve the next client: the server keeps running until it is stopped with
//!   Ctrl-C. One client's error (a reset connection) must not stop it.
//!
//! Run it:   cargo run -p echo --bin tcp-echo-server
//! Grade it: cargo grade echo

use clap::Parser;

/// The TCP echo server: sends back whatever it receives.
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

/// Listens on `host:port` and echoes to clients one after another, forever.
fn serve(host: &str, port: u16) {
    // TODO 1: bind a std::net::TcpListener to (host, port). If that fails, print one
    //         line to stderr (eprintln!) and exit with status 1.
    // TODO 2: loop over listener.incoming(): each item is one client's TcpStream. The
    //         lecture's Lab 3 server calls accept() once and exits after one client.
    // TODO 3: for each client, read() into a buffer until read() returns 0 (the client
    //         closed), and write_all() each read's bytes back as they are: no decoding,
    //         so that any bytes come back unchanged.
    // TODO 4: an error with one client must not stop the server: print it to stderr and
    //         go on to the next client.
    todo!("tcp-echo-server: listen on {host}:{port} and echo every read (see the TODO steps above)")
}
