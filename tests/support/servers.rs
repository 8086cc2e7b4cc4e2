//! Private Redis and PostgreSQL servers for the store tests: each test starts its own on a free
//! loopback port (so a test can stop and restart its server without touching the others), from
//! the Debian packages `.ci/run` installs (`redis-server`; `postgresql`'s `initdb` and `pg_ctl`).
//!
//! PostgreSQL refuses to run as root, so as root the cluster is created and run as the
//! `postgres` user (`runuser`), in a folder it owns. `GATEWAY_TEST_PG_BIN` overrides where
//! `initdb` and `pg_ctl` are looked for (default: the newest `/usr/lib/postgresql/*/bin`, else
//! `PATH`).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("gateway-{label}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A `redis-server` child process on a free port, with an append-only file synced on every write
/// (so a restart after a kill keeps what was written, as a production setup would).
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    _dir: TempDir,
}

impl RedisServer {
    /// Starts one.
    ///
    /// # Panics
    /// When `redis-server` is not installed (`apt-get install redis-server`) or does not start.
    pub fn start() -> Self {
        let mut server = Self {
            port: free_port(),
            child: None,
            _dir: TempDir::new("redis"),
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:{port}/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, with what it had written.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self._dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (install the Debian package redis-server)");
        self.child = Some(child);
        wait_for_port(self.port, "redis-server");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A private PostgreSQL cluster (trust authentication, loopback only, no fsync) on a free port.
pub struct PostgresServer {
    port: u16,
    bin: PathBuf,
    dir: TempDir,
    running: bool,
}

fn postgres_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("GATEWAY_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|bin| bin.join("initdb").exists());
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().unwrap_or_default()
}

impl PostgresServer {
    /// Creates and starts one.
    ///
    /// # Panics
    /// When PostgreSQL is not installed (`apt-get install postgresql`) or does not start.
    pub fn start() -> Self {
        let dir = TempDir::new("postgres");
        let server = Self {
            port: free_port(),
            bin: postgres_bin(),
            dir,
            running: false,
        };
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&server.dir.0)
                .status()
                .expect("chown");
            assert!(status.success(), "chown the cluster folder to postgres");
        }
        let data = server.data();
        server.run(
            "initdb",
            &["-D", path(&data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        let mut server = server;
        server.restart();
        server
    }

    fn data(&self) -> PathBuf {
        self.dir.0.join("data")
    }

    /// Runs a PostgreSQL program (as `postgres` when root) and checks that it succeeded.
    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let output = command.args(args).output().unwrap_or_else(|e| {
            panic!(
                "{} runs (install the Debian package postgresql): {e}",
                program.display()
            )
        });
        assert!(
            output.status.success(),
            "{} {args:?} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `postgres://postgres@127.0.0.1:{port}/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`: as a crash would).
    pub fn stop(&mut self) {
        if self.running {
            let data = self.data();
            self.run("pg_ctl", &["-D", path(&data), "-m", "immediate", "-w", "stop"]);
            self.running = false;
        }
    }

    /// Starts it again on the same port, with the same data.
    pub fn restart(&mut self) {
        self.stop();
        let data = self.data();
        let log = self.dir.0.join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.0.display()
        );
        self.run(
            "pg_ctl",
            &["-D", path(&data), "-l", path(&log), "-o", &options, "-w", "start"],
        );
        self.running = true;
        wait_for_port(self.port, "postgres");
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if self.running {
            let data = self.data();
            let program = self.bin.join("pg_ctl");
            let mut command = if is_root() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&program);
                c
            } else {
                Command::new(&program)
            };
            let _ = command
                .args(["-D", path(&data), "-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}
