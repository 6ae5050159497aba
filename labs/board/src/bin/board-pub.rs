//! board-pub: the publisher of the message board. Handout: docs/labs/board.md
//!
//! What it must do (the grader checks exactly this):
//! - `board-pub create <topic>` sends `CREATE <topic>`; `board-pub post <topic>
//!   <message>...` sends `POST <topic> <message>` (the words joined by single spaces),
//!   each as one line to the board-server at `--host`:`--port` (default 127.0.0.1:10000);
//! - print the server's reply line on stdout; exit 0 for `OK ...`, 1 for `ERR ...`;
//! - when the server cannot be reached, print one line to stderr and exit 1.
//!
//! Run it:   cargo run -p board --bin board-pub -- post news "hello world"
//! Grade it: cargo grade board

use clap::{Parser, Subcommand};

/// The message board publisher.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server control port.
    #[arg(long, default_value_t = 10000)]
    port: u16,
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create a topic.
    Create { topic: String },
    /// Post a message to a topic (the words are joined with spaces).
    Post {
        topic: String,
        #[arg(required = true, allow_hyphen_values = true)]
        message: Vec<String>,
    },
}

fn main() {
    let args = Args::parse();
    let command = match &args.action {
        Action::Create { topic } => format!("CREATE {topic}"),
        Action::Post { topic, message } => format!("POST {topic} {}", message.join(" ")),
    };
    publish(&args.host, args.port, &command);
}

fn publish(host: &str, port: u16, command: &str) {
    // TODO 1: connect a std::net::TcpStream to (host, port); on error print one line
    //         to stderr and std::process::exit(1).
    // TODO 2: set a read timeout, write the command followed by "\n".
    // TODO 3: read one reply line (BufReader::read_line), print it without its "\n".
    // TODO 4: exit with status 1 if the reply starts with "ERR", else 0.
    todo!("board-pub: send {command:?} to {host}:{port} (see the TODO steps above)")
}
