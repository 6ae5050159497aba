//! pinger-client: Kurose and Ross's UDP Pinger client (docs/labs/pinger.md).
//!
//! Sends 10 pings `Ping <seq> <time>`, one at a time, waits up to --timeout seconds for
//! each reply, prints `Ping <seq>: RTT <ms> ms` or `Request timed out`, then the
//! summary: `Sent 10, received <m>, <loss>% loss` and `RTT min/avg/max = ... ms`.

use std::io;
use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;

/// The UDP Pinger client.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds to wait for each reply (the contract's --timeout).
    #[arg(long, default_value_t = 1.0)]
    timeout: f64,
    /// How many pings.
    #[arg(long, default_value_t = 10)]
    count: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pinger-client: {}:{}: {e}", args.host, args.port);
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let wait = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "--timeout must be a positive number of seconds"))?;
    let socket = UdpSocket::bind("0.0.0.0:0")?;
    let server = (args.host.as_str(), args.port);
    let mut rtts: Vec<f64> = Vec::new();
    let mut buf = vec![0u8; 65_535];
    for seq in 1..=args.count {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        socket.send_to(format!("Ping {seq} {now:.6}").as_bytes(), server)?;
        let started = Instant::now();
        let deadline = started + wait;
        let mut answered = false;
        while let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
            socket.set_read_timeout(Some(left))?;
            match socket.recv_from(&mut buf) {
                Ok((n, _)) => {
                    // A late reply to an earlier ping is not this ping's reply.
                    let text = String::from_utf8_lossy(&buf[..n]);
                    if text.split_whitespace().nth(1) == Some(seq.to_string().as_str()) {
                        answered = true;
                        break;
                    }
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => break,
                // Port unreachable for an earlier ping: no reply for this one either.
                Err(_) => break,
            }
        }
        if answered {
            let rtt = started.elapsed().as_secs_f64() * 1000.0;
            rtts.push(rtt);
            println!("Ping {seq}: RTT {rtt:.3} ms");
        } else {
            println!("Request timed out");
        }
    }
    let received = rtts.len() as u32;
    let loss = (100 * (args.count - received) + args.count / 2).checked_div(args.count).unwrap_or(0);
    println!("Sent {}, received {received}, {loss}% loss", args.count);
    if !rtts.is_empty() {
        let min = rtts.iter().copied().fold(f64::INFINITY, f64::min);
        let max = rtts.iter().copied().fold(0.0, f64::max);
        let avg = rtts.iter().sum::<f64>() / rtts.len() as f64;
        println!("RTT min/avg/max = {min:.3}/{avg:.3}/{max:.3} ms");
    }
    Ok(())
}
