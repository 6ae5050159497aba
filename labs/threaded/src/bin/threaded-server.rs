//! threaded-server: the lecture's multithreaded TCP server. Handout: docs/labs/threaded.md
//!
//! What it must do (the grader checks exactly this):
//! - listen on TCP `--host`:`--port` (default 127.0.0.1:2004);
//! - for every read that returns data, reply `Server message: <data>` (no newline);
//! - serve many clients at once (the grader climbs to 256): a client that says nothing,
//!   stops half way through a message or vanishes must not delay or stop the others;
//! - run until stopped with Ctrl-C.
//!
//! Run it:   cargo run -p threaded --bin threaded-server
//! Grade it: cargo grade threaded

use clap::Parser;

/// The multithreaded server: one thread per client.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 2004)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port);
}

/// Listens on `host:port` and serves every client in a thread of its own, forever.
fn serve(host: &str, port: u16) {
    // TODO 1: bind a std::net::TcpListener to (host, port); on failure print one line
    //         to stderr and exit with status 1.
    // TODO 2: loop over listener.incoming(), and hand each client's TcpStream to a new
    //         thread: std::thread::spawn(move || ...). The main thread goes straight
    //         back to accept(): if it served the client itself, every other client
    //         would wait (an iterative server).
    // TODO 3: in the client's thread, read() in a loop until it returns 0, and for each
    //         read write_all() "Server message: " followed by the bytes read.
    // TODO 4: a read or write error (the client vanished) ends that client's thread:
    //         print it to stderr, never panic the whole server.
    todo!("threaded-server: listen on {host}:{port} and serve every client in a thread (see the TODO steps above)")
}
