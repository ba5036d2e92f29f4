//! The Windows build under Wine: `studio.exe` installed into a folder the way
//! the installer lays it out (ffmpeg.exe and ffprobe.exe beside it, the CJK
//! font in `fonts/`), run with a real Windows ffmpeg.
//!
//! `scripts/test` builds `studio.exe` and fetches the Windows ffmpeg first
//! (`scripts/setup --windows`); the paths come from its environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Noto CJK from Debian's fonts-noto-cjk; Wine has no CJK font of its own.
pub const NOTO_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

fn env_path(name: &str) -> PathBuf {
    let value = std::env::var_os(name)
        .unwrap_or_else(|| panic!("{name} is not set: run the Windows tier through scripts/test"));
    PathBuf::from(value)
}

/// `Z:\…`: how a Linux path looks to a Windows program under Wine.
pub fn win(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap();
    format!("Z:{}", abs.to_str().unwrap().replace('/', "\\"))
}

/// The Linux path of a `Z:\…` path a Windows program printed.
pub fn unwin(path: &str) -> PathBuf {
    let rest = path.strip_prefix("Z:").unwrap_or_else(|| panic!("{path} is not on drive Z:"));
    PathBuf::from(rest.replace('\\', "/"))
}

/// A Windows studio installed in a folder of its own.
#[derive(Debug)]
pub struct WinStudio {
    pub install: PathBuf,
}

impl WinStudio {
    /// Lays out `install` like the installer does, with links to the built
    /// binaries (they are large).
    pub fn install(install: &Path) -> Self {
        let exe = env_path("STUDIO_WINDOWS_EXE");
        let ffmpeg_dir = env_path("STUDIO_WINDOWS_FFMPEG_DIR");
        std::fs::create_dir_all(install.join("fonts")).unwrap();
        let link = |from: &Path, to: &Path| std::os::unix::fs::symlink(from, to).unwrap();
        link(&exe, &install.join("studio.exe"));
        for tool in ["ffmpeg.exe", "ffprobe.exe"] {
            link(&ffmpeg_dir.join(tool), &install.join(tool));
        }
        link(Path::new(NOTO_CJK), &install.join("fonts").join("NotoSansCJK-Regular.ttc"));
        Self { install: install.to_owned() }
    }

    /// `studio.exe --data-dir DATA ARGS…` under Wine.
    pub fn cmd(&self, data: &Path, args: &[&str]) -> Command {
        let mut cmd = wine_cmd();
        cmd.arg(win(&self.install.join("studio.exe"))).arg("--data-dir").arg(win(data)).args(args);
        cmd
    }

    /// Runs and returns the output, failing with stdout and stderr shown.
    pub fn run_ok(&self, data: &Path, args: &[&str]) -> Output {
        let out = output(self.cmd(data, args));
        assert!(
            out.status.success(),
            "studio.exe {args:?}: {:?}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub fn json(&self, data: &Path, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run_ok(data, &all);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }
}

/// Like [`Command::output`], through files instead of pipes: a Wine service
/// that a Windows program starts (explorer.exe for a desktop, say) inherits its
/// handles and outlives it, and a pipe would then never reach its end.
pub fn output(mut cmd: Command) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let status = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .status()
        .unwrap();
    Output { status, stdout: std::fs::read(out).unwrap(), stderr: std::fs::read(err).unwrap() }
}

/// `wine` with this project's own prefix (never the machine's `~/.wine`), no
/// debug chatter, and a UTF-8 locale so Chinese arguments reach the program whole.
pub fn wine_cmd() -> Command {
    static SERVER: std::sync::Once = std::sync::Once::new();
    SERVER.call_once(start_server);
    bare_wine_cmd()
}

/// Starts the prefix's wineserver and its services with no pipes of ours:
/// whichever `wine` starts them, they inherit its stdout, and a test reading a
/// program's output to the end would wait for them forever. It stays for a
/// minute after the last Windows program ends.
fn start_server() {
    let quiet = |mut cmd: Command| {
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
    };
    let mut server = Command::new("wineserver");
    server.env("WINEPREFIX", env_path("WINEPREFIX")).arg("-p60");
    quiet(server);
    let mut boot = bare_wine_cmd();
    boot.args(["cmd", "/c", "exit"]);
    quiet(boot);
}

fn bare_wine_cmd() -> Command {
    let mut cmd = Command::new("wine");
    cmd.env("WINEPREFIX", env_path("WINEPREFIX"))
        .env("WINEDEBUG", "-all")
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        // No Mono or Gecko install prompt when a prefix is made.
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        // Wine's own display (scripts/test starts an Xvfb for it).
        .env("DISPLAY", env_path("STUDIO_WINE_DISPLAY"));
    cmd
}

/// Windows ffmpeg processes still running that mention `needle` in their
/// command line (Wine shows a program's Windows command line in /proc).
pub fn windows_ffmpeg_mentioning(needle: &str) -> Vec<u32> {
    crate::processes_mentioning(needle)
        .into_iter()
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains("ffmpeg.exe")
        })
        .collect()
}
