//! udp-echo-client: the lecture's UDP echo client. Handout: docs/labs/echo.md
//!
//! What it must do (the grader checks exactly this):
//! - for each WORD argument (default: `Mon Tue Wed Thu Fri`), in order: send the word
//!   as one datagram to `--host`:`--port` (default 127.0.0.1:6789), wait for its echo,
//!   print `Received: <reply>`;
//! - UDP loses datagrams: wait about 1 s for an echo, and when none came send the word
//!   again, a few times, before giving up;
//! - exit 0; when it cannot (no server, no echo after its retries), print one line to
//!   stderr and exit 1, within a few seconds.
//!
//! Run it:   cargo run -p echo --bin udp-echo-client -- Mon Tue
//! Grade it: cargo grade echo

use clap::Parser;

/// The UDP echo client: sends words, prints their echoes, retries lost ones.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 6789)]
    port: u16,
    /// Seconds to wait for a reply before sending again (the contract's --timeout).
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
    /// Words to send, one after another.
    #[arg(default_values_t = ["Mon", "Tue", "Wed", "Thu", "Fri"].map(String::from))]
    words: Vec<String>,
}

fn main() {
    let args = Args::parse();
    talk(&args.host, args.port, args.timeout, &args.words);
}

/// Sends each word as a datagram and prints its echo, retrying lost ones.
fn talk(host: &str, port: u16, timeout: f64, words: &[String]) {
    // TODO 1: bind a std::net::UdpSocket to ("0.0.0.0", 0) (the kernel picks a port),
    //         then connect() it to (host, port): that fixes where send() goes, and
    //         makes "nobody there" show up as a ConnectionRefused error.
    // TODO 2: set_read_timeout(Some(Duration::from_secs_f64(timeout))) (--timeout, 1 s by default). The lecture's client has
    //         no timeout: when a datagram is lost, it waits forever.
    // TODO 3: for each word, up to 3 times: send() it, then recv() into a buffer of
    //         65,535 bytes. An echo: print  Received: <reply>  and go on with the next
    //         word. A timeout (WouldBlock or TimedOut): send the word again.
    // TODO 4: after the last try, or on any other error, print one line to stderr and
    //         exit with status 1.
    todo!("udp-echo-client: send {words:?} to {host}:{port}, waiting {timeout} s a try (see the TODO steps above)")
}
