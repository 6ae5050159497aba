//! pinger-server: Kurose and Ross's UDP Pinger server (docs/labs/pinger.md).
//!
//! Replies to each ping with its text uppercased, to its sender, but drops every N-th
//! datagram it receives (`--drop-every N`, default 4; 0 drops none): a lossy network
//! that repeats exactly, so that the grader can check a client's output line by line.

use std::net::UdpSocket;
use std::process::ExitCode;

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

fn main() -> ExitCode {
    let args = Args::parse();
    let socket = match UdpSocket::bind((args.host.as_str(), args.port)) {
        Ok(socket) => socket,
        Err(e) => {
            eprintln!("pinger-server: cannot bind {}:{}: {e}", args.host, args.port);
            return ExitCode::FAILURE;
        }
    };
    let mut buf = vec![0u8; 65_535];
    let mut received: u64 = 0;
    loop {
        match socket.recv_from(&mut buf) {
            Ok((n, sender)) => {
                received += 1;
                if args.drop_every > 0 && received.is_multiple_of(args.drop_every) {
                    continue; // lost, as the network would lose it
                }
                let reply = String::from_utf8_lossy(&buf[..n]).to_uppercase();
                if let Err(e) = socket.send_to(reply.as_bytes(), sender) {
                    eprintln!("pinger-server: {e}");
                }
            }
            Err(e) => eprintln!("pinger-server: {e}"),
        }
    }
}
