//! Ready-to-upload packages: for each post, the approved files exactly as
//! reviewed (checked against their recorded hashes), `caption.txt`, and a
//! `manifest.json` with every file's checksum and the approval record. A
//! batch over several advisors' accounts is the "approved material package"
//! head office hands out, so nothing unreviewed can slip into it: the whole
//! batch is refused if any post in it is not exactly what was approved.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::notes::NotePlan;
use crate::plan::VariantPlan;
use crate::render::{hash_file, partial_path};
use crate::schedule::{from_utc_text, local_text, to_utc_text};
use crate::store::{Account, ApprovalRecord, Post, Store, VariantContent};
use crate::studio::Studio;

/// Manifest format; bump when fields change meaning.
pub const FORMAT: &str = "repurpose-studio-package/1";

/// One file in a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageFile {
    /// Relative to the post's folder, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// video | cover | card | article | caption | subtitles
    pub role: String,
}

/// `manifest.json` of one post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub post_id: i64,
    pub platform: String,
    pub account: ManifestAccount,
    /// UTC.
    pub scheduled_at: Option<String>,
    /// Wall-clock time in `time_zone`.
    pub scheduled_local: Option<String>,
    pub time_zone: String,
    pub variant_id: i64,
    pub kind: String,
    pub title: String,
    pub tags: Vec<String>,
    pub disclaimer_text: String,
    pub cross_line: Option<String>,
    pub content_hash: String,
    pub approval: ApprovalRecord,
    /// The audit chain's newest row when the package was made: a copy of the
    /// chain's state outside the database, checked against it later.
    #[serde(default)]
    pub audit_head: Option<AuditHead>,
    /// The AI-content label the files carry (visible words, and the implicit
    /// record in the video's `AIGC` tag or the pictures' XMP), when marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_label: Option<crate::ai_label::AiLabelRecord>,
    pub files: Vec<PackageFile>,
    pub exported_at: String,
    pub exported_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditHead {
    pub id: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestAccount {
    pub platform: String,
    pub handle: String,
    pub name: String,
    pub owner: Option<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageReport {
    pub folder: PathBuf,
    pub zip: Option<PathBuf>,
    pub posts: Vec<PackagedPost>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackagedPost {
    pub post_id: i64,
    /// Relative to the package folder.
    pub folder: String,
    pub manifest_sha256: String,
}

/// A file to copy in, with the hash it must have.
struct Source {
    from: PathBuf,
    name: String,
    role: &'static str,
    expected_sha256: Option<String>,
}

/// Everything checked before anything is written.
struct Prepared {
    post: Post,
    account: Account,
    content: VariantContent,
    approval: ApprovalRecord,
    sources: Vec<Source>,
    disclaimer_text: String,
    /// The approved cues as an SRT file, for platforms that take a subtitle upload.
    subtitles: Option<String>,
    ai_label: Option<crate::ai_label::AiLabelRecord>,
    folder: String,
}

/// Keeps a name usable as one path component on every desktop system.
fn safe_component(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '_' } else { c })
        .collect::<String>()
        .trim_matches(['.', ' '])
        .to_owned();
    if cleaned.is_empty() { "_".into() } else { cleaned }
}

fn caption_text(content: &VariantContent, cross_line: Option<&str>) -> String {
    let mut parts = vec![content.title.trim().to_owned()];
    if !content.body.trim().is_empty() {
        parts.push(content.body.trim().to_owned());
    }
    if !content.tags.is_empty() {
        parts.push(content.tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" "));
    }
    if let Some(line) = cross_line.map(str::trim).filter(|l| !l.is_empty() && !content.body.contains(l)) {
        parts.push(line.to_owned());
    }
    parts.retain(|p| !p.is_empty());
    parts.join("\n\n") + "\n"
}

impl Studio {
    /// Exports posts into `<out_dir>/<name>/` (and `<name>.zip` when asked).
    pub fn export_package(
        &self,
        store: &mut Store,
        post_ids: &[i64],
        out_dir: &Path,
        name: &str,
        zip: bool,
        actor: &str,
    ) -> Result<PackageReport> {
        if post_ids.is_empty() {
            return Err(EngineError::Refused(crate::message::Notice::new("package.no_posts", "no posts to package")));
        }
        let tz = self.time_zone()?;
        let mut prepared = Vec::new();
        let mut problems = Vec::new();
        for id in post_ids {
            match self.prepare(store, *id, &tz) {
                Ok(p) => prepared.push(p),
                Err(e) => problems.push(
                    crate::message::Notice::new("package.post_problem", format!("post {id}: {e}"))
                        .with("post", id)
                        .with_parts(vec![e.notice()]),
                ),
            }
        }
        if !problems.is_empty() {
            let text = problems.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("; ");
            return Err(EngineError::Forbidden(
                crate::message::Notice::new("package.nothing_exported_for", format!("nothing was exported: {text}"))
                    .with_parts(problems),
            ));
        }
        let name = safe_component(name);
        let folder = out_dir.join(&name);
        if folder.exists() {
            return Err(EngineError::Refused(
                crate::message::Notice::new(
                    "package.exists",
                    format!("{} already exists; choose another name or folder", folder.display()),
                )
                .with("path", folder.display()),
            ));
        }
        let part = partial_path(&folder);
        let _ = std::fs::remove_dir_all(&part);
        let head = store.audit_head()?.map(|(id, hash)| AuditHead { id, hash });
        let written = self.write_all(&prepared, &part, &tz, actor, head.as_ref());
        let posts = match written {
            Ok(p) => p,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&part);
                return Err(e);
            }
        };
        std::fs::rename(&part, &folder)
            .map_err(|e| EngineError::io(format!("renaming {} to {}", part.display(), folder.display()), e))?;
        let zip_path = if zip {
            let path = out_dir.join(format!("{name}.zip"));
            write_zip(&folder, &name, &path)?;
            Some(path)
        } else {
            None
        };
        store.record_export(
            actor,
            &serde_json::json!({
                "folder": folder, "zip": zip_path,
                "posts": posts.iter().map(|p| serde_json::json!({ "post": p.post_id, "manifest_sha256": p.manifest_sha256 })).collect::<Vec<_>>(),
            }),
        )?;
        Ok(PackageReport { folder, zip: zip_path, posts })
    }

    fn prepare(&self, store: &Store, post_id: i64, tz: &jiff::tz::TimeZone) -> Result<Prepared> {
        let post = store.post(post_id)?;
        if !matches!(post.status.as_str(), "planned" | "published" | "failed") {
            return Err(EngineError::Forbidden(
                crate::message::Notice::new("package.post_state", format!("it is {}", post.status))
                    .with("status", &post.status),
            ));
        }
        let account_id = post.account_id.ok_or_else(|| {
            EngineError::Forbidden(crate::message::Notice::new(
                "package.no_account",
                "it has no account; schedule it on one",
            ))
        })?;
        let account = store.account(account_id)?;
        let content = store.variant_content(post.variant_id)?;
        let approval = store.approval_record(post.variant_id)?.ok_or_else(|| {
            EngineError::Forbidden(
                crate::message::Notice::new(
                    "package.not_approved",
                    format!("variant {} is not approved as it is now; send it to review again", post.variant_id),
                )
                .with("variant", post.variant_id),
            )
        })?;
        let mut subtitles = None;
        let ai_label;
        let (sources, disclaimer_text) = match content.kind.as_str() {
            "video" => {
                let plan: VariantPlan = store.local_json(&content.plan_json)?;
                let job = store.latest_done_job(post.variant_id)?.ok_or_else(|| {
                    EngineError::Forbidden(
                        crate::message::Notice::new(
                            "package.no_render",
                            format!("variant {} has no finished render", post.variant_id),
                        )
                        .with("variant", post.variant_id),
                    )
                })?;
                let mut s = vec![Source {
                    from: job.output_path.clone(),
                    name: "video.mp4".into(),
                    role: "video",
                    expected_sha256: job.sha256.clone(),
                }];
                if let Some(cover) = &job.cover_path {
                    s.push(Source {
                        from: cover.clone(),
                        name: "cover.jpg".into(),
                        role: "cover",
                        expected_sha256: None,
                    });
                }
                // Written from the approved plan, not copied: it is exactly what was reviewed.
                subtitles =
                    plan.captions.as_ref().filter(|c| !c.cues.is_empty()).map(|c| crate::subtitles::to_srt(&c.cues));
                ai_label = plan.ai_label.map(|l| l.record);
                (s, plan.disclaimer_text.unwrap_or_default())
            }
            _ => {
                let plan: NotePlan = store.local_json(&content.plan_json)?;
                let mut s: Vec<Source> = plan
                    .cards
                    .iter()
                    .map(|c| Source {
                        from: c.path.clone(),
                        name: format!("card-{:02}.png", c.index),
                        role: if c.index == 1 { "cover" } else { "card" },
                        expected_sha256: Some(c.sha256.clone()),
                    })
                    .collect();
                if let Some(article) = &plan.article_file {
                    s.push(Source {
                        from: article.clone(),
                        name: "article.md".into(),
                        role: "article",
                        expected_sha256: None,
                    });
                }
                ai_label = plan.ai_label.clone();
                (s, plan.disclaimer_text.clone())
            }
        };
        // A team's files come from team storage, fetched afresh and checked on the way.
        if store.is_team() {
            for source in &sources {
                if let Some(sha) = crate::store::paths::team_file_sha(self.data_dir(), &source.from) {
                    store.fetch_media(
                        &sha,
                        &source.from,
                        &format!("{} of variant {}", source.name, post.variant_id),
                    )?;
                }
            }
        }
        for source in &sources {
            let (_, sha) = hash_file(&source.from).map_err(|e| {
                EngineError::Forbidden(
                    crate::message::Notice::new(
                        "package.unreadable",
                        format!("{} cannot be read ({e}); render it again", source.from.display()),
                    )
                    .with("path", source.from.display())
                    .with("detail", e),
                )
            })?;
            if let Some(expected) = &source.expected_sha256
                && *expected != sha
            {
                return Err(EngineError::Forbidden(
                    crate::message::Notice::new(
                        "package.changed",
                        format!(
                            "{} changed after it was rendered and approved; render and review it again",
                            source.from.display()
                        ),
                    )
                    .with("path", source.from.display()),
                ));
            }
        }
        let when = post.scheduled_at.as_deref().map(from_utc_text).transpose()?;
        let stamp = when.map(|t| t.to_zoned(tz.clone()).strftime("%Y%m%d-%H%M").to_string()).unwrap_or_default();
        let folder = safe_component(&format!("{stamp}_{}_{}_post{}", account.platform, account.handle, post.id));
        Ok(Prepared { post, account, content, approval, sources, disclaimer_text, subtitles, ai_label, folder })
    }

    fn write_all(
        &self,
        prepared: &[Prepared],
        root: &Path,
        tz: &jiff::tz::TimeZone,
        actor: &str,
        audit_head: Option<&AuditHead>,
    ) -> Result<Vec<PackagedPost>> {
        let io = |what: &Path| {
            let what = what.to_owned();
            move |e| EngineError::io(format!("writing {}", what.display()), e)
        };
        let mut posts = Vec::new();
        let mut index = Vec::new();
        let now = to_utc_text(Timestamp::now());
        for p in prepared {
            let dir = root.join(&p.folder);
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            let mut files = Vec::new();
            for s in &p.sources {
                let to = dir.join(&s.name);
                std::fs::copy(&s.from, &to).map_err(io(&to))?;
                let (bytes, sha256) = hash_file(&to).map_err(io(&to))?;
                if s.expected_sha256.as_ref().is_some_and(|e| *e != sha256) {
                    return Err(EngineError::Forbidden(
                        crate::message::Notice::new(
                            "package.changed_while_copied",
                            format!("{} changed while it was copied", s.from.display()),
                        )
                        .with("path", s.from.display()),
                    ));
                }
                files.push(PackageFile { path: s.name.clone(), bytes, sha256, role: s.role.into() });
            }
            let caption = caption_text(&p.content, p.account.cross_line.as_deref());
            let caption_path = dir.join("caption.txt");
            std::fs::write(&caption_path, &caption).map_err(io(&caption_path))?;
            files.push(PackageFile {
                path: "caption.txt".into(),
                bytes: caption.len() as u64,
                sha256: crate::digest::sha256_hex(caption.as_bytes()),
                role: "caption".into(),
            });
            if let Some(srt) = &p.subtitles {
                let path = dir.join("subtitles.srt");
                std::fs::write(&path, srt).map_err(io(&path))?;
                files.push(PackageFile {
                    path: "subtitles.srt".into(),
                    bytes: srt.len() as u64,
                    sha256: crate::digest::sha256_hex(srt.as_bytes()),
                    role: "subtitles".into(),
                });
            }
            let scheduled = p.post.scheduled_at.as_deref().map(from_utc_text).transpose()?;
            let manifest = Manifest {
                format: FORMAT.into(),
                post_id: p.post.id,
                platform: p.post.platform.clone(),
                account: ManifestAccount {
                    platform: p.account.platform.clone(),
                    handle: p.account.handle.clone(),
                    name: p.account.name.clone(),
                    owner: p.account.owner.clone(),
                },
                scheduled_at: p.post.scheduled_at.clone(),
                scheduled_local: scheduled.map(|t| local_text(t, tz)),
                time_zone: self.config().time_zone.clone(),
                variant_id: p.content.id,
                kind: p.content.kind.clone(),
                title: p.content.title.clone(),
                tags: p.content.tags.clone(),
                disclaimer_text: p.disclaimer_text.clone(),
                cross_line: p.account.cross_line.clone(),
                content_hash: p.approval.content_hash.clone(),
                approval: p.approval.clone(),
                audit_head: audit_head.cloned(),
                ai_label: p.ai_label.clone(),
                files,
                exported_at: now.clone(),
                exported_by: actor.to_owned(),
            };
            let json = serde_json::to_string_pretty(&manifest)? + "\n";
            let manifest_path = dir.join("manifest.json");
            std::fs::write(&manifest_path, &json).map_err(io(&manifest_path))?;
            let manifest_sha256 = crate::digest::sha256_hex(json.as_bytes());
            index.push(serde_json::json!({
                "post_id": p.post.id, "folder": p.folder, "account": p.account.handle,
                "platform": p.account.platform, "scheduled_local": manifest.scheduled_local,
                "manifest_sha256": manifest_sha256,
            }));
            posts.push(PackagedPost { post_id: p.post.id, folder: p.folder.clone(), manifest_sha256 });
        }
        let index_path = root.join("index.json");
        let index = serde_json::json!({ "format": FORMAT, "exported_at": now, "exported_by": actor, "posts": index });
        std::fs::write(&index_path, serde_json::to_string_pretty(&index)? + "\n").map_err(io(&index_path))?;
        Ok(posts)
    }
}

/// Zips `folder` under the top-level name `name`; media are stored as they
/// are (already compressed), text is deflated.
fn write_zip(folder: &Path, name: &str, zip_path: &Path) -> Result<()> {
    let part = partial_path(zip_path);
    let result = (|| -> Result<()> {
        let file = File::create(&part).map_err(|e| EngineError::io(format!("creating {}", part.display()), e))?;
        let mut zip = zip::ZipWriter::new(BufWriter::new(file));
        let mut entries = Vec::new();
        collect(folder, folder, &mut entries)?;
        entries.sort();
        for rel in entries {
            let src = folder.join(&rel);
            let mut f = File::open(&src).map_err(|e| EngineError::io(format!("reading {}", src.display()), e))?;
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            let stored = rel.ends_with(".mp4") || rel.ends_with(".png") || rel.ends_with(".jpg");
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(if stored {
                    zip::CompressionMethod::Stored
                } else {
                    zip::CompressionMethod::Deflated
                })
                .large_file(size > u64::from(u32::MAX));
            zip.start_file(format!("{name}/{rel}"), options).map_err(zip_err)?;
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = f.read(&mut buf).map_err(|e| EngineError::io(format!("reading {}", src.display()), e))?;
                if n == 0 {
                    break;
                }
                zip.write_all(&buf[..n]).map_err(|e| EngineError::io(format!("writing {}", part.display()), e))?;
            }
        }
        let inner = zip.finish().map_err(zip_err)?;
        let file =
            inner.into_inner().map_err(|e| EngineError::io(format!("writing {}", part.display()), e.into_error()))?;
        file.sync_all().map_err(|e| EngineError::io(format!("writing {}", part.display()), e))?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    std::fs::rename(&part, zip_path)
        .map_err(|e| EngineError::io(format!("renaming {} to {}", part.display(), zip_path.display()), e))
}

fn zip_err(e: zip::result::ZipError) -> EngineError {
    match e {
        zip::result::ZipError::Io(io) => EngineError::io("writing the zip", io),
        other => EngineError::internal(format!("zip: {other}")),
    }
}

/// Relative `/`-separated paths of every file under `dir`.
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| EngineError::io(format!("reading {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| EngineError::io(format!("reading {}", dir.display()), e))?;
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_survive_any_handle() {
        assert_eq!(safe_component("理财小王"), "理财小王");
        assert_eq!(safe_component("a/b\\c:d*e?\"f<g>h|"), "a_b_c_d_e__f_g_h_");
        assert_eq!(safe_component(".."), "_");
        assert_eq!(safe_component(" x. "), "x");
    }
}
