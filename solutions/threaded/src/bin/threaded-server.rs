//! threaded-server: the lecture's multithreaded TCP server (docs/labs/threaded.md).
//!
//! For every read that returns data it replies `Server message: <data>`. Each client is
//! served by a thread of its own, so the main thread is always back in `accept()`: a
//! client that says nothing, stalls half way or vanishes holds up nobody else.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};

use clap::Parser;

/// The multithreaded server: one thread per client.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 2004)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("threaded-server: cannot listen on {}:{}: {e}", args.host, args.port);
            std::process::exit(1);
        }
    };
    eprintln!("threaded-server: listening on {}:{}", args.host, args.port);
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                // The client's thread owns its connection; the main thread goes straight
                // back to accept(). Serving the client here instead would make this an
                // iterative server: one client at a time.
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream) {
                        // A vanished client (reset, broken pipe) ends its own thread only.
                        eprintln!("threaded-server: client error: {e}");
                    }
                });
            }
            // Out of file descriptors or threads, for instance: wait for the next one.
            Err(e) => eprintln!("threaded-server: accept failed: {e}"),
        }
    }
}

/// Replies to every read until the client closes its side of the connection.
fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 2048];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        // The data goes back as it came, bytes and all; the reply is built first and
        // written at once.
        let mut reply = b"Server message: ".to_vec();
        reply.extend_from_slice(&buf[..n]);
        stream.write_all(&reply)?;
    }
}
