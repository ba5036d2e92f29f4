//! The Windows build of the `studio` CLI under Wine, with a real Windows
//! ffmpeg 6.0: renders from awkward paths, cancel and a killed CLI, notes,
//! review and packages, and studio folders that move between Windows and Linux.
//!
//! Run by `scripts/test` (its Windows tier), which builds `studio.exe`.
//! Windows file names cannot hold `"`, `:` or `?`, so the awkward names here
//! use what Windows allows: spaces, full-width quotes, `&`, `%`, `^`, `'`, Chinese.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use studio_e2e::wine::{WinStudio, output, unwin, win, windows_ffmpeg_mentioning};
use studio_e2e::*;

/// A data folder whose name alone would trip a careless command line.
fn data_dir(root: &Path) -> PathBuf {
    root.join("工作室 100%d & 'co' ^")
}

fn job_rows(data: &Path) -> serde_json::Value {
    let out = studio_cmd(data, &["--json", "jobs"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn part_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(part_files(&path));
        } else if path.to_string_lossy().ends_with(".part") {
            found.push(path);
        }
    }
    found
}

#[test]
fn windows_cli_renders_the_standard_set_from_awkward_paths_and_the_folder_moves_to_linux() {
    let dir = tempfile::tempdir().unwrap();
    let studio = WinStudio::install(&dir.path().join("Repurpose Studio"));
    let master = dir.path().join("视频 2026").join("路演 “终版” & 1 %^'.mp4");
    make_master(&master, &Master { seconds: 20.0, ..Master::default() });
    let data = data_dir(dir.path());
    write_fast_profiles(&data);

    let probed = studio.json(&data, &["probe", &win(&master)]);
    assert!((probed["duration"].as_f64().unwrap() - 20.0).abs() < 0.1, "{probed}");
    assert_eq!((probed["video"]["width"].as_u64(), probed["video"]["height"].as_u64()), (Some(640), Some(360)));
    assert_eq!(probed["path"], win(&master), "the Windows build sees the name whole");

    let plan = studio
        .run_ok(&data, &["plan", &win(&master), "--platforms", "douyin", "--start", "2", "--disclaimer", "risk-zh"]);
    let plan = String::from_utf8_lossy(&plan.stdout);
    assert!(plan.contains("font: Noto Sans CJK SC"), "the bundled font draws the disclaimer: {plan}");
    assert!(plan.contains("file:Z:\\"), "paths reach ffmpeg behind file: {plan}");

    let out = data.join("成品 输出");
    let (master_arg, out_arg) = (win(&master), win(&out));
    let render = |platforms: &'static str| {
        let args = ["render", &master_arg, "--platforms", platforms, "--start", "2", "--disclaimer", "risk-zh"];
        let mut all = args.to_vec();
        all.extend(["--institution", "某某证券 & 'Co' 100%", "--out", &out_arg]);
        studio.cmd(&data, &all)
    };
    let rendered = output(render("douyin,xiaohongshu,bilibili"));
    assert!(rendered.status.success(), "{}", String::from_utf8_lossy(&rendered.stderr));
    let jobs = job_rows(&data);
    let expected =
        [("douyin", (1080, 1920), 15.0), ("xiaohongshu", (1080, 1440), 20.0), ("bilibili", (1920, 1080), 20.0)];
    for (job, (platform, size, seconds)) in jobs.as_array().unwrap().iter().zip(expected) {
        assert_eq!(job["platform"], platform);
        assert_eq!(job["state"], "done", "{job}");
        let output = PathBuf::from(job["output_path"].as_str().unwrap());
        assert!(output.starts_with(&out), "{} is in the output folder", output.display());
        assert_duration(assert_platform_mp4(&output, size), seconds);
    }

    // The disclaimer's pixels: the box differs from the master's own frame
    // (reframed the same way) far more than the rest of the picture does.
    let douyin = PathBuf::from(jobs[0]["output_path"].as_str().unwrap());
    let plans: serde_json::Value = serde_json::from_slice(
        &studio_cmd(&data, &["--json", "plan"])
            .arg(&master)
            .args(["--platforms", "douyin", "--start", "2", "--disclaimer", "none"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let bare_plan: studio_engine::plan::VariantPlan = serde_json::from_value(plans[0].clone()).unwrap();
    let bare = dir.path().join("bare.mp4");
    let bare_render = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(bare_plan.ffmpeg_args(&bare, None))
        .status()
        .unwrap();
    assert!(bare_render.success());
    let with_plan: serde_json::Value = studio
        .json(&data, &["plan", &win(&master), "--platforms", "douyin", "--start", "2", "--disclaimer", "risk-zh"]);
    let o = &with_plan[0]["overlay"];
    let (ox, oy, ow, oh) = (
        o["x"].as_u64().unwrap() as u32,
        o["y"].as_u64().unwrap() as u32,
        o["source"]["width"].as_u64().unwrap() as u32,
        o["source"]["height"].as_u64().unwrap() as u32,
    );
    for t in [1.0, 7.5, 14.0] {
        let (a, w, _) = frame_rgb(&douyin, t);
        let (b, _, _) = frame_rgb(&bare, t);
        let inside = mean_diff(&a, &b, w, (ox, oy, ow, oh));
        let above = mean_diff(&a, &b, w, (0, 0, 1080, oy.saturating_sub(8)));
        assert!(inside > 20.0 && above < 5.0, "disclaimer at {t} s: box {inside}, elsewhere {above}");
    }

    assert!(studio.run_ok(&data, &["jobs", "verify"]).status.success());

    // A player holds the Douyin clip open (ffmpeg.exe playing it in real time
    // opens it without delete sharing, as players do): a new render of it is
    // refused with an error that names the file, and the old file is unchanged.
    let before = std::fs::read(&douyin).unwrap();
    let mut player = studio_e2e::wine::wine_cmd()
        .arg(win(&studio.install.join("ffmpeg.exe")))
        // Looping, so it still holds the file however long the render takes on a busy machine.
        .args(["-v", "error", "-re", "-stream_loop", "-1", "-i"])
        .arg(win(&douyin))
        .args(["-f", "null", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let needle = dir.path().file_name().unwrap().to_str().unwrap().to_owned();
    wait_for(30.0, "the player to open the clip", || !windows_ffmpeg_mentioning(&needle).is_empty());
    std::thread::sleep(Duration::from_secs(1));
    let again = output(render("douyin"));
    player.kill().unwrap();
    player.wait().unwrap();
    assert!(!again.status.success(), "the held file was not replaced");
    let refused = job_rows(&data)[3].clone();
    assert_eq!(refused["error"]["code"], "output_in_use", "{refused}");
    let error = refused["error"]["text"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("[output_in_use]") && error.contains("douyin.mp4") && error.contains("close it"),
        "{refused}"
    );
    assert!(std::fs::read(&douyin).unwrap() == before, "the old clip is untouched");
    assert!(part_files(&data).is_empty(), "{:?}", part_files(&data));

    // The folder moves, and the Linux build finds every file in it.
    let moved = dir.path().join("搬到 Linux");
    std::fs::rename(&data, &moved).unwrap();
    let verify = studio_cmd(&moved, &["jobs", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    let moved_jobs = job_rows(&moved);
    assert!(moved_jobs[0]["output_path"].as_str().unwrap().starts_with(moved.to_str().unwrap()), "{moved_jobs}");
}

#[test]
fn windows_cli_cancel_and_a_killed_cli_leave_no_ffmpeg_and_the_job_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let studio = WinStudio::install(&dir.path().join("app"));
    let master = dir.path().join("长 录像.mp4");
    make_master(&master, &Master { seconds: 60.0, ..Master::default() });
    let data = data_dir(dir.path());
    write_fast_profiles(&data);
    let needle = dir.path().file_name().unwrap().to_str().unwrap().to_owned();
    studio.run_ok(
        &data,
        &["render", &win(&master), "--no-run", "--platforms", "bilibili", "--out", &win(&data.join("out"))],
    );
    let rendering = |data: &Path| {
        wait_for(120.0, "the render to start", || {
            let jobs = job_rows(data);
            jobs[0]["state"] == "running" && jobs[0]["progress"].as_f64().unwrap_or(0.0) > 1.0
        })
    };

    // Cancel from a second Windows process: ffmpeg is asked to quit through its stdin.
    let runner = studio.cmd(&data, &["run"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    rendering(&data);
    assert_eq!(windows_ffmpeg_mentioning(&needle).len(), 1, "one ffmpeg.exe renders");
    studio.run_ok(&data, &["jobs", "cancel", "1"]);
    let status = runner.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(1), "a run with a cancelled job does not report success");
    assert_eq!(job_rows(&data)[0]["state"], "cancelled");
    assert!(part_files(&data).is_empty(), "{:?}", part_files(&data));
    wait_for(10.0, "ffmpeg.exe to end", || windows_ffmpeg_mentioning(&needle).is_empty());

    // Kill the CLI itself (the Wine process, no polite stop): its ffmpeg goes with it.
    studio.run_ok(&data, &["jobs", "retry", "1"]);
    let mut runner = studio.cmd(&data, &["run"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    rendering(&data);
    runner.kill().unwrap();
    runner.wait().unwrap();
    wait_for(15.0, "the killed CLI's ffmpeg.exe to end", || windows_ffmpeg_mentioning(&needle).is_empty());
    assert_eq!(job_rows(&data)[0]["state"], "running", "the row still says what was happening");

    // Started again, the interrupted job is queued again and finishes.
    studio.run_ok(&data, &["run"]);
    let jobs = job_rows(&data);
    assert_eq!(jobs[0]["state"], "done", "{jobs}");
    assert!(part_files(&data).is_empty());
    assert_duration(assert_platform_mp4(Path::new(jobs[0]["output_path"].as_str().unwrap()), (1920, 1080)), 60.0);
    studio.run_ok(&data, &["jobs", "verify"]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(windows_ffmpeg_mentioning(&needle).is_empty());
}

/// A PNG's size from its header (ffmpeg's image reader would take the `%d`
/// in the data folder's name for a frame-number pattern).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG", "{} is a PNG", path.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

const ARTICLE: &str = "---\ntitle: 定投的三个误区\ntags: [基金, 定投]\n---\n\n# 定投的三个误区\n\n\
很多人以为定投一定赚钱。其实定投只是平滑成本的方法，市场下跌时同样会亏损。\n\n\
## 误区一：随时可以停\n\n坚持比择时更重要，但也要量力而行。\n\n投资有风险，入市需谨慎。本文不构成投资建议。\n";

#[test]
fn windows_cli_makes_notes_checks_and_packages_in_a_folder_the_linux_build_made() {
    let dir = tempfile::tempdir().unwrap();
    let studio = WinStudio::install(&dir.path().join("app"));
    let data = data_dir(dir.path());
    // The Linux build makes the folder; the Windows build works in it.
    for (name, role) in [("编辑小李", "editor"), ("合规老张", "reviewer")] {
        assert!(studio_cmd(&data, &["people", "add", name, "--role", role]).status().unwrap().success());
    }
    let article = dir.path().join("文章 “年终” & 复盘.md");
    std::fs::write(&article, ARTICLE).unwrap();

    let checked = output(studio.cmd(&data, &["check", &win(&article)]));
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stdout));
    let risky = output(studio.cmd(&data, &["check", "稳赚不赔，加微信领取内部消息"]));
    assert_eq!(risky.status.code(), Some(1), "a blocking finding exits 1");
    assert!(String::from_utf8_lossy(&risky.stdout).contains("稳赚"), "{}", String::from_utf8_lossy(&risky.stdout));

    let made = studio.json(
        &data,
        &["--as", "编辑小李", "notes", &win(&article), "--platforms", "xiaohongshu", "--out", &win(&data.join("卡片"))],
    );
    let plan = &made[0]["plan"];
    assert_eq!(plan["font"], "Noto Sans CJK SC", "{plan}");
    let cards = plan["cards"].as_array().unwrap();
    assert!(cards.len() >= 2, "{plan}");
    for card in cards {
        let path = unwin(card["path"].as_str().unwrap());
        assert_eq!(png_size(&path), (1080, 1440), "{}", path.display());
    }
    let variant = made[0]["variant"].to_string();
    studio.run_ok(&data, &["--as", "编辑小李", "review", &variant, "--submit"]);
    studio.run_ok(&data, &["--as", "合规老张", "review", &variant, "--approve"]);
    studio.run_ok(
        &data,
        &[
            "--as",
            "编辑小李",
            "accounts",
            "add",
            "--platform",
            "xiaohongshu",
            "--name",
            "理财小王",
            "--handle",
            "licai_xhs",
        ],
    );
    studio.run_ok(
        &data,
        &["--as", "编辑小李", "posts", "add", &variant, "--account", "licai_xhs", "--at", "2099-01-05 12:00"],
    );
    let packages = data.join("发布包");
    studio.run_ok(&data, &["--as", "编辑小李", "package", "1", "--out", &win(&packages), "--name", "第一批", "--zip"]);
    let zip = packages.join("第一批.zip");
    assert!(zip.is_file() && packages.join("第一批").join("index.json").is_file());
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("card-01.png")) && names.iter().any(|n| n.ends_with("manifest.json")),
        "{names:?}"
    );

    // Back on Linux: the audit chain both builds wrote is one intact chain.
    let verify = studio_cmd(&data, &["audit", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}

/// The ICO's images as tauri-build embeds them (PNG entries, byte for byte).
fn ico_images(ico: &[u8]) -> Vec<&[u8]> {
    let count = usize::from(u16::from_le_bytes([ico[4], ico[5]]));
    (0..count)
        .map(|i| {
            let e = &ico[6 + i * 16..6 + (i + 1) * 16];
            let size = u32::from_le_bytes(e[8..12].try_into().unwrap()) as usize;
            let at = u32::from_le_bytes(e[12..16].try_into().unwrap()) as usize;
            &ico[at..at + size]
        })
        .collect()
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

#[test]
fn the_installer_holds_the_gui_app_and_installs_and_uninstalls_under_wine() {
    let setup = PathBuf::from(std::env::var_os("STUDIO_WINDOWS_INSTALLER").expect("set by scripts/test"));

    // The installer carries the app, its WebView2 loader, the CLI, ffmpeg and the fonts.
    let listing = std::process::Command::new("7z").arg("l").arg(&setup).output().unwrap();
    assert!(listing.status.success());
    let listing = String::from_utf8_lossy(&listing.stdout);
    for file in [
        "repurpose-studio.exe",
        "WebView2Loader.dll",
        "studio.exe",
        "ffmpeg.exe",
        "ffprobe.exe",
        "fonts/NotoSansCJK-Regular.ttc",
        "fonts/NotoSansCJK-Bold.ttc",
    ] {
        assert!(listing.contains(file), "the installer holds {file}:\n{listing}");
    }

    // Installed silently (no WebView2 download is possible here: the installer
    // says so and goes on). The folder has no space in its name: NSIS takes
    // `/D=` only unquoted, and Wine quotes an argument with a space.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("Programs").join("RepurposeStudio");
    // A fresh install, not an upgrade of what an earlier run left in this prefix.
    let _ = studio_e2e::wine::wine_cmd()
        .args(["reg", "delete", "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\RepurposeStudio", "/f"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let status = studio_e2e::wine::wine_cmd()
        .arg(win(&setup))
        .arg("/S")
        .arg(format!("/D={}", win(&target)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{status:?}");
    for file in ["repurpose-studio.exe", "WebView2Loader.dll", "uninstall.exe", "fonts/NotoSansCJK-Regular.ttc"] {
        assert!(target.join(file).is_file(), "{file} installed");
    }

    // The installed app: a 64-bit GUI-subsystem PE with our icon, name and version.
    let app = target.join("repurpose-studio.exe");
    let headers = std::process::Command::new("x86_64-w64-mingw32-objdump").arg("-p").arg(&app).output().unwrap();
    let headers = String::from_utf8_lossy(&headers.stdout);
    assert!(headers.contains("pei-x86-64"), "PE32+ for x86-64");
    assert!(headers.contains("Subsystem\t\t00000002\t(Windows GUI)"), "GUI subsystem, no console window");
    let bytes = std::fs::read(&app).unwrap();
    let ico = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/icons/icon.ico")).unwrap();
    let images = ico_images(&ico);
    assert!(!images.is_empty() && images.iter().all(|img| contains(&bytes, img)), "every icon image is embedded");
    for text in ["ProductName", "Repurpose Studio", env!("CARGO_PKG_VERSION")] {
        assert!(contains(&bytes, &utf16(text)), "version resource holds {text}");
    }
    // What was installed is, byte for byte, what was staged: the stripped
    // build of the studio.exe the tests above run, the same ffmpeg and fonts.
    let stage = setup.parent().unwrap().join("stage");
    for file in ["studio.exe", "repurpose-studio.exe", "ffmpeg.exe", "ffprobe.exe", "fonts/NotoSansCJK-Bold.ttc"] {
        assert!(std::fs::read(target.join(file)).unwrap() == std::fs::read(stage.join(file)).unwrap(), "{file} intact");
    }

    // The uninstaller removes the programs (it runs on from a copy in %TEMP%).
    let status = studio_e2e::wine::wine_cmd()
        .arg(win(&target.join("uninstall.exe")))
        .arg("/S")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    wait_for(60.0, "the uninstaller to remove the programs", || {
        ["repurpose-studio.exe", "studio.exe", "ffmpeg.exe"].iter().all(|f| !target.join(f).exists())
    });
}

/// Smart render with the Windows build and the Windows ffmpeg, in a data
/// folder whose name holds `%d` (the segment muxer reads `%` in a name as a
/// number pattern): the copied frames are the master's own.
#[test]
fn windows_cli_smart_renders_a_full_version_in_a_folder_named_with_percent_signs() {
    let dir = tempfile::tempdir().unwrap();
    let studio = WinStudio::install(&dir.path().join("Repurpose Studio"));
    let master = dir.path().join("录制 OBS & 1.mp4");
    recorded_master(&master, 30.0, (640, 360), 2, true);
    let data = data_dir(dir.path());
    full_small_profile(&data);
    write_fast_profiles(&data);
    let out = data.join("成品");
    let rendered = studio.run_ok(&data, &["render", &win(&master), "--platforms", "full-small", "--out", &win(&out)]);
    let table = String::from_utf8_lossy(&rendered.stdout);
    // The table words the method from its catalog entry (here in English).
    assert!(table.contains("smart: 2 window(s) re-encoded (0:00–0:06, 0:24–0:30)"), "{table}");
    let jobs = job_rows(&data);
    let output = PathBuf::from(jobs[0]["output_path"].as_str().unwrap());
    decodes_cleanly(&output);
    let (got, want) = (framemd5(&output), framemd5(&master));
    assert_eq!(got.len(), want.len(), "frame count");
    assert!(got[180..720] == want[180..720], "the middle is the master's own");
    assert!(part_files(&data).is_empty() && !output.with_file_name("录制 OBS & 1.full-small.mp4.smart").exists());
}
