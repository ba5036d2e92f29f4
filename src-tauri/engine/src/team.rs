//! Team mode: several laptops share one review, queue and audit trail in a
//! PostgreSQL database, each person through their own login.
//!
//! Each laptop keeps its own studio file for what is its own: masters,
//! plans, renders and drafts, which work offline. Sending a variant to
//! review copies it into the team database (its rendered files into team
//! storage, see `store::media`), and from then on review, scheduling,
//! packages and the audit trail are the team's: [`Studio::review_store`].
//! Who acts is the login, not a name typed in: [`Studio::acting_person`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compliance::Finding;
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::notes::NotePlan;
use crate::probe::MediaInfo;
use crate::review::check;
use crate::store::paths::{TEAM_MARKER, team_file_sha};
use crate::store::{Arrival, Override, Person, Store};
use crate::studio::Studio;

/// Checks a team database address before it is saved: it parses, and it
/// holds no password (settings are a plain file; the password comes from
/// `PGPASSWORD` or is asked for).
pub fn check_url(url: &str) -> Result<()> {
    let config: postgres::Config = url.parse().map_err(|e| {
        EngineError::Refused(
            Notice::new(
                "team.bad_address",
                format!("`{url}` is not a PostgreSQL address ({e}); write it as postgresql://LOGIN@HOST:5432/DATABASE"),
            )
            .with("address", url)
            .with("detail", e),
        )
    })?;
    if config.get_password().is_some() {
        return Err(EngineError::Refused(Notice::new(
            "team.password_in_address",
            "leave the password out of the saved address; it is asked for, or read from PGPASSWORD",
        )));
    }
    if config.get_user().is_none() {
        return Err(EngineError::Refused(Notice::new(
            "team.login_needed",
            "the address needs your login: postgresql://LOGIN@HOST/DATABASE",
        )));
    }
    Ok(())
}

/// What `studio team push` copied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushReport {
    pub variants: usize,
    pub files: usize,
    /// Local audit rows carried over as each variant's history.
    pub history: usize,
    /// Local posts recorded in that history (the team plans its own).
    pub posts: usize,
    pub accounts: usize,
    /// The local chain's last row, recorded in the team's trail.
    pub anchored_id: i64,
    pub anchored_hash: String,
}

/// A file of a team variant, as a reviewer or a package needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamFile {
    /// `video.mp4`, `cover.jpg`, `card-01.png` …
    pub name: String,
    pub sha256: String,
    /// Where this laptop keeps its fetched copy.
    pub path: PathBuf,
}

/// A file put into team storage for a variant.
#[derive(Debug, Clone)]
struct StoredFile {
    name: String,
    sha256: String,
    size: u64,
    /// `$STUDIO_TEAM/<sha256>.<ext>`, as the team's plan names it.
    reference: String,
}

/// What sending a variant to review did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    pub team_variant: i64,
    pub files: Vec<TeamFile>,
    pub findings: Vec<Finding>,
}

impl Studio {
    /// Whether a team database is configured.
    pub fn is_team(&self) -> bool {
        self.config().team_database.is_some()
    }

    /// The team database, connected as this laptop's login; `None` when solo.
    pub fn team(&self) -> Result<Option<Store>> {
        match &self.config().team_database {
            Some(url) => Ok(Some(Store::open_team_as(url, self.config().team_password.as_deref(), self.data_dir())?)),
            None => Ok(None),
        }
    }

    /// Where review, the queue, packages and the audit trail live: the team
    /// database in team mode, else the local file.
    pub fn review_store(&self) -> Result<Store> {
        match self.team()? {
            Some(team) => Ok(team),
            None => self.store(),
        }
    }

    /// Who is acting. In team mode the server's login (a name given as well
    /// must be that login: nobody acts in someone else's name); solo, the
    /// local profile called `given`.
    pub fn acting_person(&self, store: &Store, given: Option<&str>) -> Result<Person> {
        if let Some(me) = store.me()? {
            if let Some(name) = given.filter(|n| n.trim() != me.name) {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "team.act_as_login",
                        format!(
                            "in team mode you act as your login `{}`, not as `{name}`; leave out --as (or STUDIO_USER)",
                            me.name
                        ),
                    )
                    .with("login", &me.name)
                    .with("person", name),
                ));
            }
            return Ok(me);
        }
        profile(store, given)
    }

    /// Who edits this laptop's own drafts: the local profile `given`; in
    /// team mode without one, the team login (drafts are the laptop's own,
    /// the team database says who sent them).
    pub fn local_person(&self, local: &Store, given: Option<&str>) -> Result<Person> {
        if let (None, Some(url)) = (given, &self.config().team_database) {
            let login = url.parse::<postgres::Config>().ok().and_then(|c| c.get_user().map(str::to_owned));
            if let Some(name) = login {
                return Ok(Person { id: 0, name, role: crate::store::Role::Editor });
            }
        }
        profile(local, given)
    }

    /// Sends a local variant to the team's review: its rendered files into
    /// team storage (each checked by SHA-256 on the way), its content into
    /// the team database (updating the copy sent before, if it was sent
    /// back), then submits it there with the findings of a scan of exactly
    /// that content. The local draft stays as it is.
    pub fn send_to_team(&self, variant_id: i64) -> Result<Sent> {
        let local = self.store()?;
        let mut team = self.team()?.ok_or_else(|| {
            EngineError::Refused(Notice::new(
                "team.not_set",
                "no team database is set (Settings → 团队, or --database)",
            ))
        })?;
        let me = team
            .me()?
            .ok_or_else(|| EngineError::Refused(Notice::new("team.not_team_database", "not a team database")))?;
        let server = team.path().display().to_string();
        let (arrival, files) = self.arrival(&local, &team, variant_id, true)?;
        let before = local.team_link(variant_id, &server)?;
        // Arriving and going to review are one transaction: a team variant is never left half sent.
        let (team_variant, findings) =
            team.receive_and_submit(before, &arrival, &me, |content| check(self.lexicon(), content))?;
        local.set_team_link(variant_id, &server, team_variant)?;
        let files = files
            .into_iter()
            .map(|f| TeamFile { path: team.local_path(&f.reference), name: f.name, sha256: f.sha256 })
            .collect();
        Ok(Sent { team_variant, files, findings })
    }

    /// A local variant as the team database receives it, its files stored in team storage first.
    fn arrival(
        &self,
        local: &Store,
        team: &Store,
        variant_id: i64,
        rendered: bool,
    ) -> Result<(Arrival, Vec<StoredFile>)> {
        let content = local.variant_content(variant_id)?;
        // The files: how the local plan names each, where it is, what a package calls it.
        let mut refs: Vec<(String, PathBuf, String)> = Vec::new();
        let mut render = None;
        let mut job = None;
        if content.kind == "video" {
            let done = match local.latest_done_job(variant_id)? {
                Some(job) => job,
                None if !rendered => {
                    return Ok((self.arrival_of(local, team, variant_id, &content, None, &[])?, Vec::new()));
                }
                None => {
                    return Err(EngineError::Forbidden(
                        Notice::new(
                            "review.not_rendered",
                            format!("variant {variant_id} has not been rendered; reviewers approve the rendered file"),
                        )
                        .with("variant", variant_id),
                    ));
                }
            };
            refs.push((local.portable_path(&done.output_path), done.output_path.clone(), "video.mp4".into()));
            if let Some(cover) = &done.cover_path {
                refs.push((local.portable_path(cover), cover.clone(), "cover.jpg".into()));
            }
            job = Some(done);
        } else {
            let plan: NotePlan = local.local_json(&content.plan_json)?;
            for card in &plan.cards {
                refs.push((local.portable_path(&card.path), card.path.clone(), format!("card-{:02}.png", card.index)));
            }
            if let Some(article) = &plan.article_file {
                refs.push((local.portable_path(article), article.clone(), "article.md".into()));
            }
        }
        let mut files = Vec::new();
        let mut renamed = std::collections::HashMap::new();
        for (stored, path, name) in &refs {
            let (sha, size) = team.put_media(path)?;
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("bin");
            let reference = format!("{TEAM_MARKER}{sha}.{ext}");
            renamed.insert(stored.clone(), reference.clone());
            files.push(StoredFile { name: name.clone(), sha256: sha, size, reference });
        }
        if let Some(job) = job {
            let video = &files[0];
            if job.sha256.as_deref() != Some(video.sha256.as_str()) {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "team.changed_after_render",
                        format!("{} changed after it was rendered; render it again", job.output_path.display()),
                    )
                    .with("path", job.output_path.display()),
                ));
            }
            render = Some((
                video.reference.clone(),
                files.get(1).map(|f| f.reference.clone()),
                video.size,
                video.sha256.clone(),
            ));
        }
        let mut arrival = self.arrival_of(local, team, variant_id, &content, render, &files)?;
        let mut plan: serde_json::Value = serde_json::from_str(&content.plan_json)?;
        rename_strings(&mut plan, &renamed);
        arrival.plan_json = serde_json::to_string(&plan)?;
        Ok((arrival, files))
    }

    fn arrival_of(
        &self,
        local: &Store,
        team: &Store,
        variant_id: i64,
        content: &crate::store::VariantContent,
        render: Option<(String, Option<String>, u64, String)>,
        files: &[StoredFile],
    ) -> Result<Arrival> {
        let origin = local.variant_origin(variant_id)?;
        let project = team.ensure_project(&origin.project)?;
        let master_id = match (origin.master_kind.as_str(), &origin.media_json) {
            ("video", Some(json)) => team.upsert_video_master(project, &serde_json::from_str::<MediaInfo>(json)?)?,
            _ => team.upsert_article_master(project, Path::new(&origin.master_path))?,
        };
        Ok(Arrival {
            master_id,
            platform: content.platform.clone(),
            kind: content.kind.clone(),
            plan_json: content.plan_json.clone(),
            title: content.title.clone(),
            body: content.body.clone(),
            tags: content.tags.clone(),
            render,
            detail: serde_json::json!({
                "from_variant": variant_id,
                "master": origin.master_path,
                "files": files.iter().map(|f| serde_json::json!({ "name": f.name, "sha256": f.sha256, "bytes": f.size })).collect::<Vec<_>>(),
            }),
        })
    }

    /// Moves a solo studio into the team database: each variant (a draft
    /// there, whatever it was here: the team's reviewers have not seen it)
    /// with its files, its local history and posts in one audit row, the
    /// accounts, and last a row that records the local chain's head, so the
    /// old trail stays provable against the new one. Running it again sends
    /// only what was not sent.
    pub fn push_to_team(&self, team: &mut Store) -> Result<PushReport> {
        let local = self.store()?;
        let server = team.path().display().to_string();
        let verdict = local.verify_audit()?;
        if let Some(problem) = verdict.problems.first() {
            return Err(EngineError::Forbidden(
                Notice::new(
                    "team.audit_broken",
                    format!(
                        "this studio's audit trail does not verify ({problem}); restore a good snapshot before moving it into a team"
                    ),
                )
                .with("detail", problem),
            ));
        }
        let mut report = PushReport {
            variants: 0,
            files: 0,
            history: 0,
            posts: 0,
            accounts: 0,
            anchored_id: 0,
            anchored_hash: String::new(),
        };
        let have: Vec<String> = team.accounts()?.into_iter().map(|a| format!("{}:{}", a.platform, a.handle)).collect();
        for account in local.accounts()? {
            if have.contains(&format!("{}:{}", account.platform, account.handle)) {
                continue;
            }
            let new = crate::store::NewAccount {
                platform: account.platform.clone(),
                name: account.name.clone(),
                handle: account.handle.clone(),
                owner: account.owner.clone(),
                cross_line: account.cross_line.clone(),
            };
            let added = team.add_account(&new, "")?;
            team.set_cadence(added.id, &account.cadence, "")?;
            report.accounts += 1;
        }
        let posts = local.posts()?;
        for row in local.variants()? {
            if local.team_link(row.id, &server)?.is_some() {
                continue;
            }
            let (arrival, files) = self.arrival(&local, team, row.id, false)?;
            let id = team.receive_variant(None, &arrival)?;
            local.set_team_link(row.id, &server, id)?;
            let history = local.audit_entries(Some(("variant", row.id)))?;
            let its_posts: Vec<_> = posts.iter().filter(|p| p.variant_id == row.id).collect();
            team.record_event(
                "history",
                "variant",
                Some(id),
                "",
                &serde_json::json!({
                    "from_variant": row.id,
                    "state_there": row.review_state,
                    "history": history.iter().map(|e| serde_json::json!({
                        "id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "detail": e.detail, "hash": e.hash,
                    })).collect::<Vec<_>>(),
                    "posts": its_posts,
                }),
            )?;
            report.variants += 1;
            report.files += files.len();
            report.history += history.len();
            report.posts += its_posts.len();
        }
        let (id, hash) = local.audit_head()?.unwrap_or_default();
        team.record_event(
            "team_push",
            "studio",
            None,
            "",
            &serde_json::json!({
                "from": local.path(), "old_chain_head": { "id": id, "hash": hash },
                "variants": report.variants, "files": report.files,
            }),
        )?;
        report.anchored_id = id;
        report.anchored_hash = hash;
        Ok(report)
    }

    /// The files of a variant in team storage, by the names a package gives them.
    pub fn team_files(&self, team: &Store, variant_id: i64) -> Result<Vec<TeamFile>> {
        let content = team.variant_content(variant_id)?;
        let mut paths: Vec<(String, PathBuf)> = Vec::new();
        if content.kind == "video" {
            if let Some(job) = team.latest_done_job(variant_id)? {
                paths.push(("video.mp4".into(), job.output_path.clone()));
                if let Some(cover) = job.cover_path {
                    paths.push(("cover.jpg".into(), cover));
                }
            }
        } else {
            let plan: NotePlan = team.local_json(&content.plan_json)?;
            paths.extend(plan.cards.iter().map(|c| (format!("card-{:02}.png", c.index), c.path.clone())));
            if let Some(article) = plan.article_file {
                paths.push(("article.md".into(), article));
            }
        }
        Ok(paths
            .into_iter()
            .filter_map(|(name, path)| {
                let sha256 = team_file_sha(self.data_dir(), &path)?;
                Some(TeamFile { name, sha256, path })
            })
            .collect())
    }

    /// Fetches a team variant's files into this laptop's `team-media/`,
    /// each checked against the SHA-256 it was submitted with: what the
    /// reviewer opens is exactly what was sent, or nothing.
    pub fn fetch_team_files(&self, team: &Store, variant_id: i64) -> Result<Vec<TeamFile>> {
        let files = self.team_files(team, variant_id)?;
        for f in &files {
            team.fetch_media(&f.sha256, &f.path, &format!("{} of variant {variant_id}", f.name))?;
        }
        Ok(files)
    }

    /// Approves a variant. In team mode its files in team storage are read
    /// through and checked first: an altered file is refused, not approved.
    pub fn approve(&self, store: &mut Store, variant_id: i64, person: &Person, overrides: &[Override]) -> Result<()> {
        self.approve_seen(store, variant_id, person, overrides, None)
    }

    /// [`Studio::approve`] of what the review screen showed (`seen`: its content hash).
    pub fn approve_seen(
        &self,
        store: &mut Store,
        variant_id: i64,
        person: &Person,
        overrides: &[Override],
        seen: Option<&str>,
    ) -> Result<()> {
        if store.is_team() {
            for f in self.team_files(store, variant_id)? {
                store.verify_media(&f.sha256, &format!("{} of variant {variant_id}", f.name))?;
            }
        } else {
            verify_rendered(store, variant_id)?;
        }
        store.approve_seen(variant_id, person, overrides, seen)
    }
}

/// A solo studio's rendered files, read through and checked against the
/// SHA-256 recorded when each was rendered: the review screen played those
/// bytes, and the approval records them, so a file edited or replaced on disk
/// since is refused rather than approved unseen.
fn verify_rendered(store: &Store, variant_id: i64) -> Result<()> {
    let content = store.variant_content(variant_id)?;
    let files: Vec<(PathBuf, String)> = if content.kind == "video" {
        store.latest_done_job(variant_id)?.and_then(|j| Some((j.output_path, j.sha256?))).into_iter().collect()
    } else {
        store
            .local_json::<NotePlan>(&content.plan_json)
            .map(|p| p.cards.into_iter().map(|c| (c.path, c.sha256)).collect())
            .unwrap_or_default()
    };
    for (path, expected) in files {
        match crate::render::hash_file(&path) {
            Ok((_, actual)) if actual == expected => {}
            Ok((_, actual)) => return Err(EngineError::OutputChanged { path, expected, actual }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(EngineError::OutputGone { path }),
            Err(e) => return Err(EngineError::io(format!("reading {}", path.display()), e)),
        }
    }
    Ok(())
}

/// The local profile called `given`, which a solo studio needs to be told.
fn profile(store: &Store, given: Option<&str>) -> Result<Person> {
    let name = given.ok_or_else(|| {
        EngineError::Refused(Notice::new(
            "person.say_who",
            "say who you are with --as NAME (or STUDIO_USER); see `studio people`",
        ))
    })?;
    store.person(name)
}

/// Replaces every string in `value` that `renamed` has a new name for.
fn rename_strings(value: &mut serde_json::Value, renamed: &std::collections::HashMap<String, String>) {
    match value {
        serde_json::Value::String(s) => {
            if let Some(new) = renamed.get(s.as_str()) {
                s.clone_from(new);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| rename_strings(v, renamed)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| rename_strings(v, renamed)),
        _ => {}
    }
}
