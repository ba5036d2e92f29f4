//! Which CJK font draws the text, found without configuration on each OS.
//!
//! In order: the user's own font files (Settings / `--font`); the fonts that
//! ship with the app (a `fonts/` folder beside the executable, or in a macOS
//! bundle's `Resources/`), so a team's cards break lines the same way on every
//! laptop; then the first installed family of this OS's list, each of which
//! draws Simplified Chinese glyph forms (a Japanese face draws 骨 or 直
//! differently, which a Chinese reader notices).

use std::path::{Path, PathBuf};

/// Families tried on Windows, best first.
pub const WINDOWS: &[&str] =
    &["Microsoft YaHei", "Microsoft YaHei UI", "DengXian", "SimHei", "Noto Sans CJK SC", "Source Han Sans SC"];
/// Families tried on macOS, best first.
pub const MACOS: &[&str] = &["PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti", "Noto Sans CJK SC"];
/// Families tried on Linux and other Unixes, best first.
pub const LINUX: &[&str] = &[
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
];

/// This OS's list.
pub fn system_families() -> &'static [&'static str] {
    if cfg!(windows) {
        WINDOWS
    } else if cfg!(target_os = "macos") {
        MACOS
    } else {
        LINUX
    }
}

/// The first of `candidates` that `installed` has.
pub fn pick<'a>(candidates: &[&'a str], installed: impl Fn(&str) -> bool) -> Option<&'a str> {
    candidates.iter().copied().find(|family| installed(family))
}

/// Font files shipped with the app, in name order, so the primary family is
/// the same on every start.
pub fn bundled_files() -> Vec<PathBuf> {
    let Some(exe_dir) = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_owned)) else {
        return Vec::new();
    };
    bundle_dirs(&exe_dir).iter().flat_map(|dir| font_files_in(dir)).collect()
}

/// Where an installed app keeps its fonts: `fonts/` beside the executable
/// (Windows installer, Linux package) or `../Resources/fonts` in a macOS bundle.
fn bundle_dirs(exe_dir: &Path) -> [PathBuf; 2] {
    [exe_dir.join("fonts"), exe_dir.join("../Resources/fonts")]
}

fn font_files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ["ttf", "otf", "ttc", "otc"].contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_os_finds_its_simplified_chinese_family() {
        // What a typical install has: Windows 10/11 ship YaHei, DengXian and
        // SimHei; macOS ships PingFang; Debian's fonts-noto-cjk gives Noto.
        let windows = ["Arial", "SimSun", "DengXian", "Microsoft YaHei", "Yu Gothic"];
        assert_eq!(pick(WINDOWS, |f| windows.contains(&f)), Some("Microsoft YaHei"));
        let windows_no_yahei = ["Arial", "SimHei", "DengXian"];
        assert_eq!(pick(WINDOWS, |f| windows_no_yahei.contains(&f)), Some("DengXian"));
        let mac = ["Helvetica", "Hiragino Sans", "Hiragino Sans GB", "PingFang SC", "PingFang TC"];
        assert_eq!(pick(MACOS, |f| mac.contains(&f)), Some("PingFang SC"));
        let debian = ["DejaVu Sans", "Noto Sans CJK JP", "Noto Sans CJK SC"];
        assert_eq!(pick(LINUX, |f| debian.contains(&f)), Some("Noto Sans CJK SC"));
        assert_eq!(pick(LINUX, |f| f == "DejaVu Sans"), None);
        // No list offers a Japanese or Traditional Chinese face first.
        for list in [WINDOWS, MACOS, LINUX] {
            assert!(list.iter().all(|f| !f.ends_with("JP") && !f.ends_with("TC")), "{list:?}");
        }
    }

    #[test]
    fn bundled_fonts_are_found_beside_the_executable_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let fonts = dir.path().join("fonts");
        std::fs::create_dir(&fonts).unwrap();
        for name in ["NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.TTC", "LICENSE.txt"] {
            std::fs::write(fonts.join(name), b"").unwrap();
        }
        let found: Vec<_> = bundle_dirs(dir.path()).iter().flat_map(|d| font_files_in(d)).collect();
        let names: Vec<_> = found.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["NotoSansCJK-Bold.TTC", "NotoSansCJK-Regular.ttc"]);
    }
}
