//! tcp-upper-server: Kurose and Ross's TCPServer. Handout: docs/labs/upper.md
//!
//! What it must do (the grader checks exactly this):
//! - listen on TCP `--host`:`--port` (default 127.0.0.1:12000);
//! - for each connection: read one request, reply it uppercased as one line ending in
//!   `\n`, then close the connection. A request ends at `\n` (`\r\n` is accepted too),
//!   at the client's half-close, or, from a client that sends no newline and waits (the
//!   lecture's Python TCPClient), once it is whole UTF-8 text and nothing more has come
//!   for a moment (about 0.2 s);
//! - uppercase Unicode-aware: `ñandú` becomes `ÑANDÚ`, not only a to z;
//! - serve client after client until stopped with Ctrl-C: a request that is not UTF-8
//!   gets an error line, and never stops the server.
//!
//! Run it:   cargo run -p upper --bin tcp-upper-server
//! Grade it: cargo grade upper

use clap::Parser;

/// The TCP uppercase server: one line in, the same line uppercased out.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    serve(&args.host, args.port);
}

/// Listens on `host:port` and answers one line per connection, forever.
fn serve(host: &str, port: u16) {
    // TODO 1: bind a std::net::TcpListener to (host, port); on failure print one line
    //         to stderr and exit with status 1.
    // TODO 2: loop over listener.incoming(). (Serving each client in a thread of its own,
    //         std::thread::spawn, makes it the lecture's "concurrent server".)
    // TODO 3: read the request: gather bytes with stream.read() into a Vec until a b'\n'
    //         or the end of the stream (read returns 0). A line may arrive in pieces, even
    //         cut inside a character, so one read() is not a line. For the lecture's
    //         client (no newline): once some bytes came, set_read_timeout(Some(200 ms));
    //         a read that times out ends the request if std::str::from_utf8 accepts it.
    // TODO 4: reply text.trim_end().to_uppercase() followed by "\n" (write_all), or an
    //         "ERR ..." line if the bytes are not UTF-8; then let the stream drop, which
    //         closes the connection.
    todo!("tcp-upper-server: listen on {host}:{port} and uppercase each request line (see the TODO steps above)")
}
