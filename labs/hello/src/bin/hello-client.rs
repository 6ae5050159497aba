//! hello-client: Lab 1, exercises 1 and 2. Handout: docs/labs/hello.md
//!
//! What it must do (the grader checks exactly this):
//! - connect once to the server at `--host`:`--port` (default 127.0.0.1:65432);
//! - for each MESSAGE argument (default: `Hello world`), in order: send it, wait for
//!   the server's reply, print `Server says: <reply>` on its own line;
//! - exit 0; when it cannot (no server, no reply), print one line to stderr and exit 1.
//!
//! Run it:   cargo run -p hello --bin hello-client -- "Hello world" "second message"
//! Grade it: cargo grade hello

use clap::Parser;

/// The Hello World client: one connection, one reply per message.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 65432)]
    port: u16,
    /// Messages to send, one after another.
    #[arg(default_values_t = ["Hello world".to_string()])]
    messages: Vec<String>,
}

fn main() {
    let args = Args::parse();
    talk(&args.host, args.port, &args.messages);
}

/// Sends each message on one connection and prints the server's reply to each.
fn talk(host: &str, port: u16, messages: &[String]) {
    // TODO 1: connect a std::net::TcpStream to (host, port). If that fails (no server
    //         there), print one line to stderr and exit with status 1.
    // TODO 2: set a read timeout (set_read_timeout) so a silent server cannot make
    //         the client wait forever.
    // TODO 3: for each message: write_all() its bytes, then read() the reply into a
    //         buffer and print  Server says: <reply>  with println!.
    //         Send the next message only after the reply to this one has arrived.
    todo!("hello-client: send {messages:?} to {host}:{port} (see the TODO steps above)")
}
