//! calc-server: Assignment 3, item 3. Handout: docs/labs/calc.md
//!
//! What it must do (the grader checks exactly this):
//! - a request is `<op> <a> <b>`: op one of `+ - * / % ^`, a and b decimal numbers
//!   (`+ 4 5`, `/ 7 2`, `^ 2 -1`, `* -1.5 4`);
//! - the reply is the result: a whole result with magnitude below 2^53 as an integer
//!   (`9`, not `9.0`), any other result as a decimal (`3.5`);
//! - errors reply `ERR <reason>` and the server keeps serving: division by zero,
//!   remainder by zero, unknown operator, not a number, too few or too many operands;
//! - TCP (the default), `--host`:`--port` (default 127.0.0.1:50007): one request per
//!   line (`\n`, accept `\r\n`), any number per connection, many connections at once;
//!   each reply is one line ending in `\n`. Garbage bytes or a huge line get an `ERR`
//!   reply (or the connection closed), never a dead server;
//! - `--udp`: one request per datagram (a trailing `\n` allowed), one reply datagram
//!   to the address it came from; an empty or oversized datagram gets an `ERR` reply.
//!
//! Run it:   cargo run -p calc --bin calc-server            (or -- --udp)
//! Try it:   cargo run -p calc --bin calc-client -- "+ 4 5"
//! Grade it: cargo grade calc

use clap::Parser;

/// The calculate server: answers `+ 4 5` with `9`.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 50007)]
    port: u16,
    /// Serve UDP datagrams instead of TCP connections.
    #[arg(long)]
    udp: bool,
}

fn main() {
    let args = Args::parse();
    if args.udp {
        serve_udp(&args.host, args.port);
    } else {
        serve_tcp(&args.host, args.port);
    }
}

/// TCP: answers every request line of every client, many clients at once.
fn serve_tcp(host: &str, port: u16) {
    // TODO 1: bind a std::net::TcpListener to (host, port); on failure print one line
    //         to stderr and exit with status 1.
    // TODO 2: loop over listener.incoming() and give each client a thread of its own
    //         (std::thread::spawn with a `move` closure): while one client is quiet,
    //         the others must still be served.
    // TODO 3: in the thread, wrap the stream in a std::io::BufReader and read one line
    //         at a time (read_until(b'\n', ..)): TCP is a byte stream, one read() is
    //         not one request. Bound the line (Read::take) so that a 1 MiB line cannot
    //         eat your memory: answer it with ERR.
    // TODO 4: for each line write answer(line) followed by "\n". An error with one
    //         client ends that client's thread, never the server.
    todo!("calc-server: serve TCP on {host}:{port} (see the TODO steps above)")
}

/// UDP: answers every datagram with one datagram to its sender.
fn serve_udp(host: &str, port: u16) {
    // TODO 5: bind a std::net::UdpSocket to (host, port).
    // TODO 6: loop: recv_from() into a buffer one byte larger than the longest request
    //         you accept. A datagram that fills the whole buffer was longer: the kernel
    //         cut it without telling you, so reply ERR instead of computing on a piece.
    // TODO 7: send_to() the reply to the address recv_from() returned, not to a fixed
    //         one: many clients, each on its own port, share this one socket.
    todo!("calc-server: serve UDP on {host}:{port} (see the TODO steps above)")
}

/// The reply to one request: `answer("+ 4 5")` is `"9"`, `answer("/ 1 0")` is
/// `"ERR division by zero"`. A trailing `\n` or `\r\n` must not matter.
#[allow(dead_code)] // until serve_tcp and serve_udp call it
fn answer(request: &str) -> String {
    // TODO 8: split_whitespace() the request into tokens; check the operator, then that
    //         there are exactly two operands, then parse each with str::parse::<f64>()
    //         (reject what is not finite: "inf" and "nan" parse, but are not numbers).
    // TODO 9: compute; division and remainder by zero are errors, not infinity.
    // TODO 10: format: if x.fract() == 0.0 and x.abs() < 2^53, print x as an i64 ("9");
    //          otherwise print the f64 ("3.5"). Errors are format!("ERR {reason}").
    todo!("calc-server: compute the reply to {request:?} (see the TODO steps above)")
}
