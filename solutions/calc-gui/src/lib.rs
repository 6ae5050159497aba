//! calc-gui, the reference: a calculator window for the calc servers of lab calc
//! (docs/labs/calc.md). The app (app.rs) and its networking (net.rs) depend on egui
//! only, so tests drive them headless; the window around them (main.rs) needs eframe
//! and the `window` feature.

pub mod app;
pub mod net;

pub use app::CalcApp;
pub use net::Transport;
