//! pinger-server: Kurose and Ross's UDP Pinger server. Handout: docs/labs/pinger.md
//!
//! What it must do (the grader checks exactly this):
//! - bind a UDP socket to `--host`:`--port` (default 127.0.0.1:12000);
//! - reply to each datagram with its text uppercased, to the address it came from;
//! - but drop every N-th datagram it receives (`--drop-every N`, default 4; 0: none).
//!
//! Run it:   cargo run -p pinger --bin pinger-server
//! Grade it: cargo grade pinger

use clap::Parser;

/// The UDP Pinger server: replies uppercased, drops every N-th ping.
#[derive(Parser)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Drop every N-th datagram received; 0 drops none.
    #[arg(long, default_value_t = 4)]
    drop_every: u64,
}

fn main() {
    let args = Args::parse();
    // TODO 1: bind a std::net::UdpSocket to (args.host, args.port).
    // TODO 2: loop: recv_from into a 65,535-byte buffer; count it; if args.drop_every > 0
    //         and the count is a multiple of it, reply nothing; else send_to the text
    //         uppercased (String::from_utf8_lossy(..).to_uppercase()) back to the sender.
    todo!("pinger-server: bind UDP {}:{} and answer pings, dropping every {}-th", args.host, args.port, args.drop_every)
}
