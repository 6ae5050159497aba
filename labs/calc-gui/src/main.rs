//! calc-gui: the calculator in a desktop window (docs/labs/calc.md).
//!
//!   cargo run -p calc-gui --features window -- --port 50007 [--udp]

use calc_gui::{CalcApp, Transport};
use clap::Parser;

/// The calculate GUI client: a window with a keypad for a calc-server.
#[derive(Parser)]
struct Args {
    /// Server address (can be changed in the window).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port (can be changed in the window).
    #[arg(long, default_value_t = 50007)]
    port: u16,
    /// Start with UDP selected instead of TCP.
    #[arg(long)]
    udp: bool,
}

fn main() -> eframe::Result {
    let args = Args::parse();
    let transport = if args.udp { Transport::Udp } else { Transport::Tcp };
    let mut app = CalcApp::new(transport, args.host, args.port);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([340.0, 480.0]).with_title("calc-gui"),
        ..Default::default()
    };
    eframe::run_ui_native("calc-gui", options, move |ui, _frame| app.ui(ui))
}
