//! Bad input to the reference servers: random and malformed bytes, random
//! fragmentation and abrupt disconnects (RST, half-close, vanishing mid-request),
//! from several bad clients at once. None of the servers in solutions/ may panic,
//! exit, keep a thread or a socket per bad client, or stop serving a good client.
//!
//! The inputs come from a seeded generator (`FUZZ_SEED` repeats a run; `FUZZ_INPUTS`
//! changes how many per server). Each server's run is bounded in inputs and in time;
//! the number of inputs tried is printed (`cargo test --test fuzz -- --nocapture`).
//! `FUZZ_CMD='NAME=COMMAND ARGS'` fuzzes another program in place of the reference
//! server NAME (such as hello-server), e.g. to see this test fail on a fragile one.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rstest::rstest;
use socket_labs_tests::root;

/// Bad inputs per server, unless FUZZ_INPUTS says otherwise.
const INPUTS: usize = 1000;
/// Bad clients at once.
const CONCURRENT: usize = 8;
/// A good client is served after every this many bad inputs.
const PROBE_EVERY: usize = 100;
/// The most one server's fuzzing may take; fewer inputs are tried on a slow machine.
const BUDGET: Duration = Duration::from_secs(12);
/// Threads or descriptors past the baseline that a server may still hold once every
/// bad client is gone (a pool that grew); one per bad client would be hundreds.
const SLACK: usize = 16;

#[derive(Clone, Copy, PartialEq)]
enum Transport {
    Tcp,
    Udp,
}

/// A reference server and how a good client talks to it.
struct Target {
    package: &'static str,
    binary: &'static str,
    args: &'static [&'static str],
    transport: Transport,
    /// What a good client sends, and a test of the reply it must get.
    request: &'static [u8],
    reply: fn(&[u8]) -> bool,
    /// Words of its protocol, mixed into the malformed inputs.
    words: &'static [&'static [u8]],
}

const LINE_WORDS: &[&[u8]] = &[b"\n", b"\r\n", b"\r", b" ", b"\t", b"\0", b"\xff\xfe", b"\xc3", b"\xe2\x82"];

fn targets(name: &str) -> Target {
    match name {
        "hello-server" => Target {
            package: "hello-solution",
            binary: "ref-hello-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"ping",
            reply: |r| r.starts_with(b"I got \"ping\" from you and I am sending it back."),
            words: &[b"Hello world", b"\"", b"\xff"],
        },
        "sum-server" => Target {
            package: "hello-solution",
            binary: "ref-sum-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"1 2\n",
            reply: |r| r == b"3\n",
            words: &[b"1", b"-", b"9223372036854775807", b"1e308", b"nan", b"inf", b"0x10", b"1.5", b"\n"],
        },
        "varsize-server" => Target {
            package: "varsize-solution",
            binary: "ref-varsize-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"abc<EOF>",
            reply: |r| r == b"abc<EOF>",
            words: &[b"<EOF>", b"<EO", b"F>", b"<", b"EOF>", b"<<EOF>"],
        },
        "varsize-server-length" => Target {
            package: "varsize-solution",
            binary: "ref-varsize-server",
            args: &["--framing", "length"],
            transport: Transport::Tcp,
            request: b"\0\0\0\x03abc",
            reply: |r| r == b"\0\0\0\x03abc",
            words: &[b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x04\0\0\x01", b"\0\0\0\0", b"\0\0\0\x05", b"\0\0"],
        },
        "date-server" => Target {
            package: "date-solution",
            binary: "ref-date-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"What time is it?\n",
            reply: |r| r.len() > 20 && r.ends_with(b"\n"),
            words: &[b"What time is it?"],
        },
        "logging-date-server" => Target {
            package: "logging-solution",
            binary: "ref-logging-date-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"What time is it?\n",
            reply: |r| r.len() > 20 && r.ends_with(b"\n"),
            words: &[b"What time is it?", b"../", b"%s%n"],
        },
        "calc-server" => Target {
            package: "calc-solution",
            binary: "ref-calc-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"+ 4 5\n",
            reply: |r| r == b"9\n",
            words: &[b"+", b"/", b"%", b"^", b"0", b"-0", b"1e309", b"nan", b"9999999999999999999", b"2 1024"],
        },
        "calc-server-udp" => Target {
            package: "calc-solution",
            binary: "ref-calc-server",
            args: &["--udp"],
            transport: Transport::Udp,
            request: b"+ 4 5",
            reply: |r| r.trim_ascii_end() == b"9",
            words: &[b"+", b"/", b"%", b"^", b"0", b"-0", b"1e309", b"nan", b"9999999999999999999", b"2 1024"],
        },
        "board-server" => Target {
            package: "board-solution",
            binary: "ref-board-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"LIST\n",
            reply: |r| r.starts_with(b"OK") && r.ends_with(b"\n"),
            words: &[b"CREATE ", b"JOIN ", b"POST ", b"LIST", b"HISTORY ", b"t", b"0", b"-1", b"99999999999999999999"],
        },
        "tcp-echo-server" => Target {
            package: "echo-solution",
            binary: "ref-tcp-echo-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"abc",
            reply: |r| r == b"abc",
            words: &[b"Mon"],
        },
        "udp-echo-server" => Target {
            package: "echo-solution",
            binary: "ref-udp-echo-server",
            args: &[],
            transport: Transport::Udp,
            request: b"abc",
            reply: |r| r == b"abc",
            words: &[b"Mon"],
        },
        "tcp-upper-server" => Target {
            package: "upper-solution",
            binary: "ref-tcp-upper-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"abc\n",
            reply: |r| r.trim_ascii_end() == b"ABC",
            words: &[b"\xc3\x9f", b"\xef\xac\x80"],
        },
        "udp-upper-server" => Target {
            package: "upper-solution",
            binary: "ref-udp-upper-server",
            args: &[],
            transport: Transport::Udp,
            request: b"abc",
            reply: |r| r.trim_ascii_end() == b"ABC",
            words: &[b"\xc3\x9f", b"\xef\xac\x80"],
        },
        "threaded-server" => Target {
            package: "threaded-solution",
            binary: "ref-threaded-server",
            args: &[],
            transport: Transport::Tcp,
            request: b"abc",
            reply: |r| r == b"Server message: abc",
            words: &[b"Server message: "],
        },
        other => panic!("no fuzz target {other}"),
    }
}

/// xorshift64*: small, seeded, the same on every machine.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
                | 1
        })
    })
}

/// A malformed input: random bytes, or the protocol's own words in a wrong order with
/// garbage between them, sometimes huge.
fn input(rng: &mut Rng, target: &Target) -> Vec<u8> {
    let mut data = Vec::new();
    match rng.below(4) {
        0 => {
            let len = [0, 1, 7, 100, 1500, 4096, 70_000][rng.below(7)];
            data.extend((0..len).map(|_| rng.next() as u8));
        }
        1 => {
            // One endless line (no newline, no <EOF>), cut off.
            let len = 1 + rng.below(200_000);
            data.extend(std::iter::repeat_n(b"Aa9 "[rng.below(4)], len));
        }
        _ => {
            for _ in 0..1 + rng.below(30) {
                let pick = rng.below(target.words.len() + LINE_WORDS.len() + 1);
                if pick < target.words.len() {
                    data.extend_from_slice(target.words[pick]);
                } else if pick < target.words.len() + LINE_WORDS.len() {
                    data.extend_from_slice(LINE_WORDS[pick - target.words.len()]);
                } else {
                    data.extend((0..rng.below(8)).map(|_| rng.next() as u8));
                }
            }
        }
    }
    data
}

/// One bad TCP client: connects, sends `data` in random pieces, and leaves in one of
/// the rude ways.
fn bad_tcp_client(addr: SocketAddr, data: &[u8], rng: &mut Rng) {
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else { return };
    let _ = stream.set_write_timeout(Some(Duration::from_millis(500)));
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut stream = stream;
    let mut rest = data;
    while !rest.is_empty() {
        let piece = if rng.chance(30) { 3 } else { 65_536 };
        let n = 1 + rng.below(rest.len().min(piece));
        if stream.write_all(&rest[..n]).is_err() {
            break;
        }
        rest = &rest[n..];
        if rng.chance(10) {
            // A deliberate pause between pieces, so they arrive as separate reads.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    match rng.below(4) {
        // Reset: SO_LINGER 0, the connection is aborted with RST.
        0 => {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
        // Half-close, read a little of the answer, leave.
        1 => {
            let _ = stream.shutdown(Shutdown::Write);
            let mut sink = [0u8; 4096];
            let _ = stream.read(&mut sink);
        }
        // Vanish without reading: an unread reply makes the close a reset too.
        2 => {}
        // Read a little, then close.
        _ => {
            let mut sink = [0u8; 4096];
            let _ = stream.read(&mut sink);
        }
    }
}

fn bad_udp_client(addr: SocketAddr, data: &[u8]) {
    let Ok(socket) = UdpSocket::bind("127.0.0.1:0") else { return };
    let data = &data[..data.len().min(65_507)];
    let _ = socket.send_to(data, addr);
    // The socket is closed at once: the reply goes to a closed port.
}

/// A good client: sends the request and waits (boundedly) for the right reply. UDP
/// asks again after each second without one: after a flood, the server's receive
/// buffer may be full of garbage, and loopback drops a datagram then.
fn good_client(addr: SocketAddr, target: &Target) -> Result<(), String> {
    match target.transport {
        Transport::Tcp => {
            let mut stream =
                TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| format!("connect: {e}"))?;
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            stream.write_all(target.request).map_err(|e| format!("send: {e}"))?;
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !(target.reply)(&got) {
                if Instant::now() > deadline {
                    return Err(format!("no right reply within 10 s; got {:?}", String::from_utf8_lossy(&got)));
                }
                match stream.read(&mut buf) {
                    Ok(0) => return Err(format!("closed after {:?}", String::from_utf8_lossy(&got))),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => return Err(format!("read: {e} after {:?}", String::from_utf8_lossy(&got))),
                }
            }
            Ok(())
        }
        Transport::Udp => {
            let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            socket.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
            let mut buf = vec![0u8; 65_536];
            for _ in 0..10 {
                socket.send_to(target.request, addr).map_err(|e| e.to_string())?;
                let deadline = Instant::now() + Duration::from_secs(1);
                while Instant::now() < deadline {
                    match socket.recv_from(&mut buf) {
                        Ok((n, from)) if from == addr && (target.reply)(&buf[..n]) => return Ok(()),
                        Ok(_) => continue,
                        Err(_) => break,
                    }
                }
            }
            Err("no right reply to 10 datagrams".to_string())
        }
    }
}

/// Builds a solution package once per test process and returns its binary.
fn binary(package: &str, name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|p| p == package) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--package", package])
            .current_dir(root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "{package} builds");
        built.push(package.to_string());
    }
    let exe = std::env::current_exe().expect("own path");
    exe.parent().and_then(Path::parent).expect("target/debug").join(name)
}

fn free_port() -> u16 {
    // Both transports free; the server binds it a moment later.
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Threads and open descriptors of a process, from /proc.
fn threads_and_fds(pid: u32) -> (usize, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let threads = status.lines().find_map(|l| l.strip_prefix("Threads:")?.trim().parse().ok()).unwrap_or(0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
    (threads, fds)
}

struct Server {
    child: Child,
    stderr: Arc<Mutex<Vec<u8>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(name: &str, target: &Target, port: u16) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let replaced = std::env::var("FUZZ_CMD").ok().and_then(|cmd| {
            let (which, command) = cmd.split_once('=')?;
            (which == name).then(|| command.split_whitespace().map(String::from).collect::<Vec<_>>())
        });
        let mut command = match replaced.as_deref() {
            Some([program, args @ ..]) => {
                let mut command = Command::new(program);
                command.args(args);
                command
            }
            _ => Command::new(binary(target.package, target.binary)),
        };
        let mut child = command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(target.args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the reference server starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut sink = sink.lock().unwrap();
                if sink.len() < 1 << 20 {
                    sink.extend_from_slice(&buf[..n]);
                }
            }
        });
        Server { child, stderr, _dir: dir }
    }

    fn alive(&mut self) -> Result<(), String> {
        match self.child.try_wait().unwrap() {
            None => Ok(()),
            Some(status) => Err(format!("the server exited ({status}); stderr:\n{}", self.stderr())),
        }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The reference servers do not fork: killing the process ends all of it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The threads and descriptors of `pid` once two looks 50 ms apart agree (at most 2 s).
fn settled(pid: u32) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut last = threads_and_fds(pid);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = threads_and_fds(pid);
        if now == last || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

#[rstest]
#[case::hello("hello-server")]
#[case::sum("sum-server")]
#[case::varsize("varsize-server")]
#[case::varsize_length("varsize-server-length")]
#[case::date("date-server")]
#[case::logging("logging-date-server")]
#[case::calc_tcp("calc-server")]
#[case::calc_udp("calc-server-udp")]
#[case::board("board-server")]
#[case::tcp_echo("tcp-echo-server")]
#[case::udp_echo("udp-echo-server")]
#[case::tcp_upper("tcp-upper-server")]
#[case::udp_upper("udp-upper-server")]
#[case::threaded("threaded-server")]
fn a_reference_server_survives_bad_clients(#[case] name: &str) {
    let target = targets(name);
    let inputs: usize = std::env::var("FUZZ_INPUTS").ok().and_then(|n| n.parse().ok()).unwrap_or(INPUTS);
    let seed = seed() ^ name.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let port = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut server = Server::start(name, &target, port);
    let pid = server.child.id();

    // Ready: a good client is served (within 30 s, for a loaded machine).
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(e) = good_client(addr, &target) {
        server.alive().unwrap();
        assert!(Instant::now() < deadline, "{name} never served a good client: {e}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A server with a pool of threads may still be starting them: the baseline is what
    // it holds once that count has stopped changing (bounded).
    let baseline = settled(pid);

    let started = Instant::now();
    let mut tried = 0;
    let mut probes = 0;
    let mut rng = Rng(seed | 1);
    while tried < inputs && started.elapsed() < BUDGET {
        let batch: Vec<(Vec<u8>, Rng)> = (0..CONCURRENT.min(inputs - tried))
            .map(|_| {
                let data = input(&mut rng, &target);
                (data, Rng(rng.next() | 1))
            })
            .collect();
        let transport = target.transport;
        std::thread::scope(|scope| {
            for (data, rng) in &batch {
                let mut rng = rng.clone();
                scope.spawn(move || match transport {
                    Transport::Tcp => bad_tcp_client(addr, data, &mut rng),
                    Transport::Udp => bad_udp_client(addr, data),
                });
            }
        });
        tried += batch.len();
        if tried % PROBE_EVERY < CONCURRENT {
            server.alive().unwrap_or_else(|e| panic!("{name} after {tried} bad inputs (seed {seed}): {e}"));
            good_client(addr, &target).unwrap_or_else(|e| {
                panic!("{name} stopped serving good clients after {tried} bad inputs (seed {seed}): {e}")
            });
            probes += 1;
        }
    }

    // Every bad client is gone: so must be the threads and sockets that served them.
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let now = threads_and_fds(pid);
        if (now.0 <= baseline.0 + SLACK && now.1 <= baseline.1 + SLACK) || Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        after.0 <= baseline.0 + SLACK && after.1 <= baseline.1 + SLACK,
        "{name} still holds {} threads and {} descriptors after {tried} bad clients left (it had {} and {})",
        after.0,
        after.1,
        baseline.0,
        baseline.1
    );
    good_client(addr, &target).unwrap_or_else(|e| panic!("{name} at the end (seed {seed}): {e}"));
    server.alive().unwrap();
    let stderr = server.stderr();
    assert!(!stderr.contains("panicked"), "{name} panicked (seed {seed}):\n{stderr}");
    assert!(tried >= 100.min(inputs), "{name}: only {tried} inputs in {BUDGET:?}");
    eprintln!(
        "fuzz: {name}: {tried} bad inputs, {probes} good clients served between them, in {:.1} s (seed {seed})",
        started.elapsed().as_secs_f32()
    );
}
