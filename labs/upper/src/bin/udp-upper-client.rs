//! udp-upper-client: Kurose and Ross's UDPClient. Handout: docs/labs/upper.md
//!
//! What it must do (the grader checks exactly this):
//! - read one line from stdin and send it, without its newline, as one datagram to
//!   `--host`:`--port` (default 127.0.0.1:12000);
//! - print the reply as `From Server: <reply>`: nothing else on stdout; exit 0;
//! - never wait forever: the request or the reply may be lost. With a timeout (and,
//!   if you like, a few retries) it gives up: one line to stderr, exit 1.
//!
//! Run it:   echo "hello world" | cargo run -p upper --bin udp-upper-client
//! Grade it: cargo grade upper

use clap::Parser;

/// The UDP uppercase client: sends a line from stdin, prints the server's reply.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds to wait for a reply before sending again (the contract's --timeout).
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
}

fn main() {
    let args = Args::parse();
    ask(&args.host, args.port, args.timeout);
}

/// Sends one line from stdin as a datagram and prints the reply.
fn ask(host: &str, port: u16, timeout: f64) {
    // TODO 1: read one line with std::io::stdin().read_line(), and strip its "\n".
    // TODO 2: bind a std::net::UdpSocket to ("0.0.0.0", 0), connect() it to
    //         (host, port), and set_read_timeout(Some(Duration::from_secs_f64(timeout))) (--timeout, 1 s by default): the
    //         lecture's client has no timeout and waits forever for a lost reply.
    // TODO 3: send() the line, then recv() into a buffer of 65,535 bytes. On a timeout,
    //         send again (up to 3 tries) or give up.
    // TODO 4: print  From Server: <reply>  and exit 0; on any error print one line to
    //         stderr and exit with status 1.
    todo!("udp-upper-client: send a line from stdin to {host}:{port}, waiting {timeout} s a try (see the TODO steps above)")
}
