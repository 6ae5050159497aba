//! The seeds' own clients against the reference servers: every client program of the
//! source handouts (tests/fixtures/seeds, as printed but for the host and port taken
//! from the command line) is run against the reference server of its lab, and must get
//! its reply. A reference server that only serves the contract's clients would teach a
//! protocol the handouts' own programs cannot speak.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rstest::rstest;
use socket_labs_tests::{python, root};

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

/// The seeds' Java clients, compiled once; `None` (and a printed reason) without a JDK.
fn java_classes() -> Option<&'static Path> {
    static CLASSES: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    CLASSES
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let seeds = root().join("tests/fixtures/seeds");
            let status = Command::new("javac")
                .arg("-d")
                .arg(dir.path())
                .args([seeds.join("TCPClient.java"), seeds.join("UDPClient.java")])
                .status();
            match status {
                Ok(s) if s.success() => Some(dir),
                Ok(s) => panic!("javac failed ({s})"),
                Err(e) => {
                    eprintln!("SKIPPED: no javac here ({e}); the seeds' Java clients are not run");
                    None
                }
            }
        })
        .as_ref()
        .map(|d| d.path())
}

/// A port free for TCP and UDP alike, at this moment.
fn free_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A reference server on `port`, stopped when dropped.
struct Server(Child);

impl Server {
    fn start(package: &str, name: &str, udp: bool, port: u16) -> Server {
        let child = Command::new(binary(package, name))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the reference server starts");
        let mut server = Server(child);
        // Ready once the port is taken: a bind of our own fails (no probe connection).
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let taken = if udp {
                std::net::UdpSocket::bind(("127.0.0.1", port)).is_err()
            } else {
                TcpListener::bind(("127.0.0.1", port)).is_err()
            };
            if taken {
                return server;
            }
            assert!(server.0.try_wait().unwrap().is_none(), "{name} exited at start");
            assert!(Instant::now() < deadline, "{name} did not bind 127.0.0.1:{port}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `client` with `stdin`, within a deadline (the seeds' UDP clients wait forever
/// for a lost reply); returns its stdout.
fn run_client(mut client: Command, stdin: &str, within: Duration) -> String {
    let mut child = client.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let deadline = Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[rstest]
#[case::hello(
    "hello-solution",
    "ref-hello-server",
    false,
    "hello_client.py",
    "",
    "Server says: I got \"Hello world\" from you and I am sending it back."
)]
#[case::lab3_echo("echo-solution", "ref-tcp-echo-server", false, "echo_client_lab3.py", "", "Received b'Hello, world'")]
#[case::tcp_echo("echo-solution", "ref-tcp-echo-server", false, "tcp_echo_client.py", "", "Received:  Fri")]
#[case::udp_echo("echo-solution", "ref-udp-echo-server", true, "udp_echo_client.py", "", "Receive Fri from")]
#[case::threaded(
    "threaded-solution",
    "ref-threaded-server",
    false,
    "threaded_client.py",
    "hello threads\n",
    "Server message: hello threads"
)]
#[case::tcp_upper_python(
    "upper-solution",
    "ref-tcp-upper-server",
    false,
    "TCPClient.py",
    "input lowercase sentence\n",
    "From Server: INPUT LOWERCASE SENTENCE"
)]
#[case::udp_upper_python("upper-solution", "ref-udp-upper-server", true, "UDPClient.py", "ñandú\n", "ÑANDÚ")]
#[case::tcp_upper_java(
    "upper-solution",
    "ref-tcp-upper-server",
    false,
    "java:TCPClient",
    "input lowercase sentence\n",
    "FROM SERVER: INPUT LOWERCASE SENTENCE"
)]
#[case::udp_upper_java(
    "upper-solution",
    "ref-udp-upper-server",
    true,
    "java:UDPClient",
    "input lowercase sentence\n",
    "FROM SERVER:INPUT LOWERCASE SENTENCE"
)]
fn a_seed_client_gets_its_reply_from_the_reference_server(
    #[case] package: &str,
    #[case] server: &str,
    #[case] udp: bool,
    #[case] client: &str,
    #[case] stdin: &str,
    #[case] expected: &str,
) {
    let port = free_port();
    let mut command = if let Some(class) = client.strip_prefix("java:") {
        let Some(classes) = java_classes() else { return };
        let mut c = Command::new("java");
        c.arg("-cp").arg(classes).arg(class);
        c
    } else {
        let mut c = Command::new(python());
        c.arg(root().join("tests/fixtures/seeds").join(client));
        c
    };
    command.args(["127.0.0.1", &port.to_string()]);
    let _server = Server::start(package, server, udp, port);
    let stdout = run_client(command, stdin, Duration::from_secs(20));
    assert!(
        stdout.contains(expected),
        "{client} against {server}: expected {expected:?} in its output, got {stdout:?}"
    );
}
