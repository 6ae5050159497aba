//! tcp-echo-server: the lecture's Python TCP echo server, corrected (docs/labs/echo.md).
//!
//! Sends back every byte it reads, read after read, until the client closes; then it
//! goes back to `accept()` for the next client. It runs until it is stopped with Ctrl-C
//! (SIGINT) or SIGTERM.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};

use clap::Parser;

/// The TCP echo server: sends back whatever it receives.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 65432)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("tcp-echo-server: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("tcp-echo-server: listening on {}:{}", args.host, args.port);

    // The loop around accept() is what the lecture's Lab 3 version lacks: without it
    // the server exits when its first client leaves.
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                // One client's error (a reset connection) must not stop the server.
                if let Err(e) = echo(stream) {
                    eprintln!("tcp-echo-server: client error: {e}");
                }
            }
            Err(e) => eprintln!("tcp-echo-server: accept failed: {e}"),
        }
    }
}

/// Echoes every read until the client closes its side of the connection.
fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        // A read returns whatever bytes have arrived; 0 means the client closed.
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        // The bytes go back as they are: no decoding, so any bytes survive.
        // write_all keeps writing until every byte is sent (Python's sendall).
        stream.write_all(&buf[..n])?;
    }
}
