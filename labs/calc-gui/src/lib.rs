//! calc-gui: a calculator window for your calc servers (docs/labs/calc.md).
//!
//! The window (app.rs) is written for you: read it, it is short. The networking
//! (net.rs) is yours, with numbered TODO steps. Both depend on egui only, so the tests
//! drive them headless; the real window around them (main.rs) needs eframe:
//!
//!   cargo run -p calc-gui --features window -- --port 50007
//!   cargo test -p calc-gui -- --include-ignored     (once net.rs and calc-server work)

pub mod app;
pub mod net;

pub use app::CalcApp;
pub use net::Transport;
