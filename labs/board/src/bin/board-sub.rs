//! board-sub: the subscriber of the message board. Handout: docs/labs/board.md
//!
//! What it must do (the grader checks exactly this):
//! - send `JOIN <topic>` to the board-server at `--host`:`--port` (default
//!   127.0.0.1:10000); on `ERR ...` (or no server) print one line to stderr, exit 1;
//! - from the reply `OK <group> <port>`: bind a UDP socket to the port with
//!   SO_REUSEADDR (other subscribers share it) and join the group on the interface
//!   `--iface` (default 127.0.0.1);
//! - then print `joined <topic> <group>:<port>` as the first line, and for every
//!   datagram `<seq> <topic> <message>` of its topic `[<topic>] <message>`, flushing
//!   each line; datagrams of other topics are not printed;
//! - report a gap in seq (a lost datagram) on stderr; the first post it receives is
//!   where it starts (earlier posts were made before it joined);
//! - bonus: on a gap, fetch the missed posts with `HISTORY <topic> <from-seq>` and
//!   print them in order, in their place.
//!
//! Run it:   cargo run -p board --bin board-sub -- news
//! Grade it: cargo grade board

use std::net::Ipv4Addr;

use clap::Parser;

/// The message board subscriber.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server control port.
    #[arg(long, default_value_t = 10000)]
    port: u16,
    /// The interface (by its address) to join the group on.
    #[arg(long, default_value = "127.0.0.1")]
    iface: Ipv4Addr,
    /// The topic to follow.
    topic: String,
}

fn main() {
    let args = Args::parse();
    subscribe(&args);
}

fn subscribe(args: &Args) {
    // TODO 1: connect to (args.host, args.port), send "JOIN <topic>\n", read the reply
    //         line; unless it is "OK <group> <port>", print it to stderr and exit(1).
    // TODO 2: a socket2::Socket (Domain::IPV4, Type::DGRAM): set_reuse_address(true)
    //         BEFORE bind(); bind (group, port); join_multicast_v4(&group, &args.iface).
    // TODO 3: println!("joined {} {group}:{port}", args.topic) only now: the socket
    //         receives from here on.
    // TODO 4: loop: recv into a buffer of 2048 bytes (a post can be over 1000), split
    //         "<seq> <topic> <message>" with splitn(3, ' '), skip other topics, print
    //         "[<topic>] <message>".
    // TODO 5: remember the next seq you expect (from the first post you get); when a
    //         bigger one arrives, eprintln! the gap. Bonus: fetch it with HISTORY.
    todo!("board-sub: follow {} at {}:{} (see the TODO steps above)", args.topic, args.host, args.port)
}
