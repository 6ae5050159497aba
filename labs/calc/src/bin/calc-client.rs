//! calc-client: Assignment 3, item 3. Handout: docs/labs/calc.md
//!
//! What it must do (the grader checks exactly this):
//! - send each REQUEST argument (`"+ 4 5"`: one quoted argument per request) or, with
//!   none, each line of stdin, to the calc server at `--host`:`--port` (default
//!   127.0.0.1:50007), and print each reply on a line of its own, in order; exit 0;
//! - TCP (the default): each request is a line ending in `\n`; the reply is a line;
//! - `--udp`: each request is one datagram; wait 1 s for the reply datagram, and when
//!   none comes, send the request again, up to 3 times (4 tries in all);
//! - when it cannot do its job (no server, no reply after the last try) print one line
//!   to stderr and exit with status 1: no panic.
//!
//! Run it:   cargo run -p calc --bin calc-client -- "+ 4 5" "/ 7 2"
//!           echo "^ 2 10" | cargo run -p calc --bin calc-client -- --udp
//! Grade it: cargo grade calc

use clap::Parser;

/// The calculate client: `calc-client "+ 4 5" "/ 7 2"` prints 9 and 3.5.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 50007)]
    port: u16,
    /// Talk to the server over UDP instead of TCP.
    #[arg(long)]
    udp: bool,
    /// Over UDP: seconds to wait for a reply before sending again (the contract's --timeout).
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
    /// Requests such as "+ 4 5" (quoted: one argument each); none: read stdin's lines.
    /// A request may start with '-' ("- 3 10"): it is a request, not an option.
    #[arg(allow_hyphen_values = true)]
    requests: Vec<String>,
}

fn main() {
    let args = Args::parse();
    // TODO 1: with no REQUEST arguments, read the requests from stdin, one per line
    //         (std::io::stdin().lock().lines()).
    // TODO 2: over TCP, connect once, set a read timeout, and for each request write
    //         the request and "\n", read the reply line (BufReader + read_line) and
    //         println! it without its "\n".
    // TODO 3: over UDP, bind a UdpSocket to ("0.0.0.0", 0), connect() it to the server
    //         and set_read_timeout(args.timeout seconds: Duration::from_secs_f64; --timeout,
    //         1 s by default). For each request: send() it, recv() the reply;
    //         on a timeout (WouldBlock or TimedOut) send it again, 3 times at most.
    // TODO 4: on any error print one line to stderr (eprintln!) and exit with status 1
    //         (std::process::ExitCode::FAILURE), instead of unwrap() and a panic.
    todo!(
        "calc-client: send {:?} to {}:{} over {} (see the TODO steps above)",
        args.requests,
        args.host,
        args.port,
        if args.udp { format!("UDP, waiting {} s a try", args.timeout) } else { "TCP".to_string() }
    )
}
