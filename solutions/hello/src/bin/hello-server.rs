//! hello-server: Lab 1, exercises 1 and 3 (docs/labs/hello.md).
//!
//! For every read that returns data, reply `I got "<data>" from you and I am sending
//! it back.`, then go back to `accept()` for the next client: the server keeps
//! running until it is stopped with Ctrl-C (SIGINT) or SIGTERM.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};

use clap::Parser;

/// The Hello World server: replies to every message it reads.
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
            eprintln!("hello-server: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("hello-server: listening on {}:{}", args.host, args.port);

    // Exercise 3: loop around accept() so the server outlives each client.
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                // One client misbehaving (a reset, a broken pipe) must never stop the
                // server: report it and go on to the next client.
                if let Err(e) = serve(stream) {
                    eprintln!("hello-server: client error: {e}");
                }
            }
            Err(e) => eprintln!("hello-server: accept failed: {e}"),
        }
    }
}

/// Replies to each read until the client closes its side of the connection.
fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        // TCP is a byte stream: a read returns whatever has arrived, and 0 means the
        // client closed the connection.
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let data = String::from_utf8_lossy(&buf[..n]);
        let reply = format!("I got \"{data}\" from you and I am sending it back.");
        // write_all keeps writing until every byte is sent (Python's sendall).
        stream.write_all(reply.as_bytes())?;
    }
}
