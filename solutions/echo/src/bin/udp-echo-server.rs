//! udp-echo-server: the lecture's Python UDP echo server (docs/labs/echo.md).
//!
//! Sends every datagram back to the address it came from. One datagram is one
//! message: there is no connection, and each datagram carries its sender's address.

use std::net::UdpSocket;

use clap::Parser;

/// The UDP echo server: sends every datagram back to its sender.
#[derive(Parser)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind.
    #[arg(long, default_value_t = 6789)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    let socket = match UdpSocket::bind((args.host.as_str(), args.port)) {
        Ok(socket) => socket,
        Err(e) => {
            eprintln!("udp-echo-server: cannot bind {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("udp-echo-server: bound to {}:{}", args.host, args.port);

    // A receive cuts a datagram to the size of the buffer, and the rest is lost: the
    // lecture's recvfrom(1024) loses everything past 1024 bytes. 65,535 bytes hold any
    // datagram.
    let mut buf = vec![0u8; 65_535];
    loop {
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                // Reply from this same socket, to the sender of this datagram.
                if let Err(e) = socket.send_to(&buf[..n], from) {
                    eprintln!("udp-echo-server: cannot reply to {from}: {e}");
                }
            }
            // Linux reports an ICMP error for an earlier reply (its client had gone)
            // on the next receive: that client's problem, not the server's.
            Err(e) => eprintln!("udp-echo-server: receive failed: {e}"),
        }
    }
}
