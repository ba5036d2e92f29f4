//! A real PostgreSQL server for the team tests: Debian's `postgresql`
//! binaries, a cluster made with `initdb` in a temporary folder, listening
//! on a loopback port only, with password logins (SCRAM) as a team's server
//! has. Never the system service. The server is a child of the test process
//! and dies with it (`PR_SET_PDEATHSIG`), so a crashed test leaves nothing
//! running; `Drop` stops it properly.
//!
//! When the tests run as root (CI containers), the cluster belongs to the
//! `postgres` system user: PostgreSQL refuses to run as root.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The superuser's name and password in every test cluster.
pub const OWNER: &str = "studio_owner";
pub const OWNER_PASSWORD: &str = "owner-secret 'quoted' pw";

/// A running test server.
#[derive(Debug)]
pub struct Cluster {
    pub port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
    server: Option<Child>,
    user: Option<(u32, u32)>,
}

/// The folder holding `initdb`, `postgres` and `pg_ctl`: `STUDIO_PG_BIN`, or
/// the newest `/usr/lib/postgresql/N/bin`, or `PATH`.
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STUDIO_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p): &(u32, PathBuf)| p.join("initdb").exists())
        .collect();
    found.sort();
    if let Some((_, dir)) = found.pop() {
        return dir;
    }
    let initdb =
        String::from_utf8(Command::new("sh").args(["-c", "command -v initdb"]).output().unwrap().stdout).unwrap();
    let initdb = initdb.trim();
    assert!(!initdb.is_empty(), "PostgreSQL's initdb was not found; run scripts/setup");
    Path::new(initdb).parent().unwrap().to_owned()
}

/// The `postgres` system user when we are root.
fn server_user() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    if std::fs::metadata("/proc/self").unwrap().uid() != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let entry = passwd.lines().map(|l| l.split(':').collect::<Vec<_>>()).find(|f| f.len() > 3 && f[0] == "postgres");
    let f = entry.expect("tests run as root need the `postgres` user (from Debian's postgresql package)");
    Some((f[2].parse().unwrap(), f[3].parse().unwrap()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Cluster {
    /// Makes and starts a new cluster.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("studio-pg-").tempdir().unwrap();
        let user = server_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let bin = bin_dir();
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, OWNER_PASSWORD).unwrap();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).unwrap();
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-U", OWNER, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--no-sync"])
            .args(["-E", "UTF8", "--locale=C.UTF-8"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .stdout(Stdio::null());
        as_user(&mut initdb, user);
        let out = initdb.output().unwrap();
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let mut cluster = Self { port: free_port(), dir, bin, server: None, user };
        cluster.run_server();
        cluster
    }

    /// Starts the server on the cluster's folder and port and waits until it takes logins.
    pub fn run_server(&mut self) {
        let (tx, rx) = mpsc::channel();
        let mut cmd = Command::new(self.bin.join("postgres"));
        cmd.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-p", &self.port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.path().display()))
            .args(["-c", "fsync=off", "-c", "max_connections=200", "-c", "log_min_messages=fatal"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(self.dir.path().join("server.log")).unwrap()));
        as_user(&mut cmd, self.user);
        // SAFETY: prctl only sets a flag on the child; nothing else runs between fork and exec.
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
                Ok(())
            });
        }
        // The death signal follows the thread that forked, so a thread that lives as long as the process forks.
        std::thread::spawn(move || {
            tx.send(cmd.spawn()).unwrap();
            loop {
                std::thread::park();
            }
        });
        self.server = Some(rx.recv().unwrap().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "the test PostgreSQL did not start: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        // Accepting TCP is not yet accepting logins.
        while Command::new(self.bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
        {
            assert!(Instant::now() < deadline, "the test PostgreSQL did not get ready: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `pg_ctl stop -m MODE` (`immediate` is a crash: no checkpoint, clients cut off).
    pub fn stop(&mut self, mode: &str) {
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        cmd.arg("-D").arg(self.dir.path().join("data")).args(["stop", "-w", "-m", mode]).stdout(Stdio::null());
        as_user(&mut cmd, self.user);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr));
        if let Some(mut child) = self.server.take() {
            let _ = child.wait();
        }
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A URL for `user` with `password` on `database`.
    pub fn url_as(&self, user: &str, password: &str, database: &str) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect::<String>()
        };
        format!("postgresql://{}:{}@127.0.0.1:{}/{}", enc(user), enc(password), self.port, enc(database))
    }

    /// The owner's URL for `database`.
    pub fn owner_url(&self, database: &str) -> String {
        self.url_as(OWNER, OWNER_PASSWORD, database)
    }

    /// Runs SQL as the owner with `psql` (on `database`); returns stdout, panics on an error.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let out = self.psql_as(OWNER, OWNER_PASSWORD, database, sql);
        assert!(out.status.success(), "psql failed on `{sql}`: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs SQL with `psql` as any login; the caller reads the outcome.
    pub fn psql_as(&self, user: &str, password: &str, database: &str, sql: &str) -> std::process::Output {
        Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", user, "-d", database, "-c", sql])
            .env("PGPASSWORD", password)
            .env("PGCONNECT_TIMEOUT", "5")
            .output()
            .unwrap()
    }

    /// A new empty database.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.owner_url(name)
    }
}

fn as_user(cmd: &mut Command, user: Option<(u32, u32)>) {
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid).env("HOME", "/tmp");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.server.is_some() {
            let mut cmd = Command::new(self.bin.join("pg_ctl"));
            cmd.arg("-D").arg(self.dir.path().join("data")).args(["stop", "-w", "-m", "fast"]);
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
            as_user(&mut cmd, self.user);
            let _ = cmd.status();
            if let Some(mut child) = self.server.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// One cluster per test process, for tests that only need a database of
/// their own in it (`Cluster::create_database`).
pub fn shared() -> &'static Cluster {
    static CLUSTER: std::sync::OnceLock<Cluster> = std::sync::OnceLock::new();
    CLUSTER.get_or_init(Cluster::start)
}
