//! Shared by the tests that compare our output with an independent implementation in Node
//! (`peers/package.json`): finds `node`, installs the pinned packages once if they are missing,
//! and runs a script. Included with `#[path = ".../peers/ensure.rs"] mod peers;`.
//!
//! A missing `node` or a failed install fails the test: a peer check that silently skips would be
//! a test that cannot fail.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The `peers/` folder at the workspace root.
pub fn dir() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("peers").join("package.json").exists() {
        assert!(dir.pop(), "no peers/package.json above {}", env!("CARGO_MANIFEST_DIR"));
    }
    dir.join("peers")
}

/// Installs the pinned packages (`npm ci`) unless they are there already; once per test binary.
pub fn ensure_installed() -> PathBuf {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let dir = dir();
            if !dir.join("node_modules").join(".package-lock.json").exists() {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&dir)
                    .status()
                    .expect("npm is needed for the peer tests (node and npm are on the machine)");
                assert!(status.success(), "npm ci --prefix peers failed");
            }
            dir
        })
        .clone()
}

/// Runs `node peers/<script>` with `input` on stdin and returns its stdout; panics with its stderr
/// when it fails.
pub fn run_node(script: &str, input: &str) -> String {
    use std::io::Write;
    let dir = ensure_installed();
    let mut child = Command::new("node")
        .arg(dir.join(script))
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node is needed for the peer tests");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write to node");
    let out = child.wait_with_output().expect("node runs");
    assert!(
        out.status.success(),
        "node {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("node prints UTF-8")
}
