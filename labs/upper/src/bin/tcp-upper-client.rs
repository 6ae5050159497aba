//! tcp-upper-client: Kurose and Ross's TCPClient. Handout: docs/labs/upper.md
//!
//! What it must do (the grader checks exactly this):
//! - read one line from stdin;
//! - connect to `--host`:`--port` (default 127.0.0.1:12000) and send that line, ending
//!   in `\n`;
//! - read the reply line and print `From Server: <reply>`: nothing else on stdout (a
//!   prompt, if any, goes to stderr); exit 0;
//! - when it cannot (no server, no reply before the server closed, a timeout), print
//!   one line to stderr and exit 1.
//!
//! Run it:   echo "hello world" | cargo run -p upper --bin tcp-upper-client
//! Grade it: cargo grade upper

use clap::Parser;

/// The TCP uppercase client: sends a line from stdin, prints the server's reply.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    ask(&args.host, args.port);
}

/// Sends one line from stdin and prints the reply.
fn ask(host: &str, port: u16) {
    // TODO 1: read one line with std::io::stdin().read_line(), and strip its "\n".
    // TODO 2: connect a std::net::TcpStream to (host, port), set a read timeout, and
    //         write_all() the line followed by "\n".
    // TODO 3: read the reply up to its "\n" (a BufReader and read_until): it may arrive
    //         in pieces, even cut inside a character, so decode it only once it is
    //         whole. No bytes at all means the server closed without replying: an error.
    // TODO 4: print  From Server: <reply>  and exit 0; on any error print one line to
    //         stderr and exit with status 1.
    todo!("tcp-upper-client: send a line from stdin to {host}:{port} (see the TODO steps above)")
}
