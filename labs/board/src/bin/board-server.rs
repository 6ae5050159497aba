//! board-server: Assignment 3, item 4, a multicast message board. Handout: docs/labs/board.md
//!
//! What it must do (the grader checks exactly this):
//! - listen on TCP `--host`:`--port` (default 127.0.0.1:10000), serve many clients at
//!   once, and keep running; read one command per line (`\n`, accept `\r\n`), reply one
//!   line per command, and keep the connection open after an `ERR` reply;
//! - `CREATE <topic>` -> `OK <group> <port>`: the topic's own multicast group (the
//!   first topic gets `--group-base`, default 239.255.77.1, the next ones the addresses
//!   after it) and its own UDP port; `ERR exists` if the topic exists. Topics match
//!   `[A-Za-z0-9_-]{1,64}`; another name gets `ERR <reason>`;
//! - `JOIN <topic>` -> `OK <group> <port>`, or `ERR no such topic`;
//! - `POST <topic> <message>` -> `OK <seq>`, and one datagram `<seq> <topic> <message>`
//!   to the topic's group and port; seq counts 1, 2, ... per topic; a message is one
//!   line of UTF-8 up to 1000 bytes;
//! - `LIST` -> `OK <topic> <topic> ...`; anything else -> `ERR <reason>`;
//! - multicast leaves with TTL 1 on the interface `--iface` (default 127.0.0.1), with
//!   loopback delivery on: never through the default route;
//! - bonus: `HISTORY <topic> <from-seq>` -> `OK <n>` then n lines `<seq> <message>`,
//!   the kept posts from that seq on (keep at least the last 1000 per topic).
//!
//! Run it:   cargo run -p board --bin board-server
//! Grade it: cargo grade board

use std::net::Ipv4Addr;

use clap::Parser;

/// The message board server.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// TCP control port.
    #[arg(long, default_value_t = 10000)]
    port: u16,
    /// The first topic's multicast group; the next topics get the addresses after it.
    #[arg(long, default_value = "239.255.77.1")]
    group_base: Ipv4Addr,
    /// The interface (by its address) multicast is sent on.
    #[arg(long, default_value = "127.0.0.1")]
    iface: Ipv4Addr,
}

fn main() {
    let args = Args::parse();
    serve(&args);
}

fn serve(args: &Args) {
    // TODO 1: make the multicast sender once: a socket2::Socket (Domain::IPV4,
    //         Type::DGRAM) with set_multicast_if_v4(&args.iface), set_multicast_ttl_v4(1)
    //         and set_multicast_loop_v4(true); turn it into a std UdpSocket with .into().
    // TODO 2: keep the topics in an Arc<Mutex<...>>: for each, its name, group, port,
    //         last seq (and, for the bonus, its last 1000 messages).
    // TODO 3: bind a TcpListener to (args.host, args.port); for each client, spawn a
    //         thread that reads lines with a BufReader and writes one reply line each.
    // TODO 4: CREATE: the group is args.group_base plus the number of topics so far
    //         (u32::from / Ipv4Addr::from); a free port: bind a UdpSocket to port 0
    //         and read its local_addr().port().
    // TODO 5: POST: seq += 1, send "<seq> <topic> <message>" with send_to(group, port)
    //         while holding the lock (datagrams leave in seq order), reply "OK <seq>".
    // TODO 6: JOIN, LIST, the ERR replies, and (bonus) HISTORY.
    todo!("board-server: serve topics on {}:{} (see the TODO steps above)", args.host, args.port)
}
