//! The real binary in a real terminal (tmux): open a fixture, switch panels with the number
//! keys, run a query, quit. Without tmux the test says so on stderr and passes, so that
//! `cargo test` works on a machine that lacks it (`apt-get install tmux` to run it).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::build;

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        let session = format!("litescope-e2e-{}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "120",
                "-y",
                "35",
                cmd,
            ])
            .status()
            .expect("tmux must be installed for the end-to-end test");
        assert!(status.success());
        Tmux { session }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} never appeared:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.session])
            .output()
            .is_ok_and(|o| o.status.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .output();
    }
}

/// True when a `tmux` can be run; otherwise says why the end-to-end test is skipped.
fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "SKIPPED open_switch_panels_query_and_quit: tmux is not installed \
             (apt-get install tmux to run the end-to-end test)"
        );
    }
    found
}

#[test]
fn open_switch_panels_query_and_quit() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    build(
        &dir.path().join("shop.db"),
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id));
         INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');
         INSERT INTO orders VALUES (1, 1), (2, 2), (3, 9);",
    );
    let config = dir.path().join("config");
    let cmd = format!(
        "env LITESCOPE_CONFIG_DIR='{}' '{}' '{}'",
        config.display(),
        env!("CARGO_BIN_EXE_litescope"),
        dir.path().display()
    );
    let tmux = Tmux::start(&cmd);
    tmux.wait_for("shop.db  ok");
    tmux.keys(&["2"]);
    tmux.wait_for("orders  3 rows");
    tmux.keys(&["5"]);
    tmux.wait_for("fk-violation");
    tmux.keys(&["6"]);
    let relations = tmux.wait_for("orders(customer_id) → customers(id)");
    assert!(relations.contains("declared"));
    tmux.keys(&["3"]);
    tmux.wait_for("customers  2");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Grace");
    tmux.keys(&["4", "i"]);
    tmux.keys(&["-l", "SELECT 40 + 2 AS answer"]);
    tmux.keys(&["F5"]);
    let screen = tmux.wait_for("1 row in");
    assert!(
        screen.contains("answer") && screen.contains("42"),
        "{screen}"
    );
    tmux.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.alive() {
        assert!(
            Instant::now() < deadline,
            "litescope did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
