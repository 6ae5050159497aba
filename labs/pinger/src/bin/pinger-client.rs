//! pinger-client: Kurose and Ross's UDP Pinger client. Handout: docs/labs/pinger.md
//!
//! What it must do (the grader checks exactly this):
//! - send 10 pings `Ping <seq> <time>` (seq 1 to 10, time in seconds since the epoch)
//!   to `--host`:`--port` (default 127.0.0.1:12000), one at a time;
//! - wait up to `--timeout` seconds (default 1) for each reply; print
//!   `Ping <seq>: RTT <ms> ms` (3 decimals) or `Request timed out`;
//! - then print `Sent 10, received <m>, <loss>% loss` and, if any reply came,
//!   `RTT min/avg/max = <min>/<avg>/<max> ms`; exit 0.
//!
//! Run it:   cargo run -p pinger --bin pinger-client
//! Grade it: cargo grade pinger

use clap::Parser;

/// The UDP Pinger client.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds to wait for each reply.
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
}

fn main() {
    let args = Args::parse();
    // TODO 1: bind a UdpSocket to 0.0.0.0:0 and set_read_timeout to args.timeout.
    // TODO 2: for each seq, send the ping, time the reply with std::time::Instant.
    // TODO 3: print each line and the summary as above.
    todo!("pinger-client: ping {}:{} with a {} s timeout", args.host, args.port, args.timeout)
}
