//! udp-upper-server: Kurose and Ross's UDPServer (docs/labs/upper.md).
//!
//! Replies every datagram uppercased, as one datagram, to the address it came from. A
//! datagram that is not UTF-8 gets an `ERR` reply: the server never stops for it.

use std::net::UdpSocket;

use clap::Parser;

/// The UDP uppercase server: one datagram in, the same text uppercased out.
#[derive(Parser)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind.
    #[arg(long, default_value_t = 12000)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    let socket = match UdpSocket::bind((args.host.as_str(), args.port)) {
        Ok(socket) => socket,
        Err(e) => {
            eprintln!("udp-upper-server: cannot bind {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("udp-upper-server: bound to {}:{}", args.host, args.port);
    // Room for the largest datagram: a smaller buffer cuts long ones.
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) => {
                eprintln!("udp-upper-server: receive failed: {e}");
                continue;
            }
        };
        // One datagram is one whole request: no need to look for a line's end. Python's
        // strict .decode() raises on bytes that are not UTF-8, and stops a server that
        // does not catch it; here it is an error reply.
        let reply = match std::str::from_utf8(&buf[..n]) {
            Ok(text) => text.to_uppercase(),
            Err(_) => "ERR the request is not UTF-8 text".to_string(),
        };
        if let Err(e) = socket.send_to(reply.as_bytes(), from) {
            eprintln!("udp-upper-server: cannot reply to {from}: {e}");
        }
    }
}
