//! Projects, masters and variants.

use serde::{Deserialize, Serialize};

use super::Store;
use super::db::args;
use crate::error::Result;
use crate::plan::VariantPlan;
use crate::probe::MediaInfo;

/// A variant as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantRow {
    pub id: i64,
    pub master_id: i64,
    pub platform: String,
    pub kind: String,
    pub review_state: String,
}

impl Store {
    /// The id of the project called `name`, created if new.
    pub fn ensure_project(&self, name: &str) -> Result<i64> {
        self.db.execute("INSERT INTO projects (name) VALUES (?1) ON CONFLICT (name) DO NOTHING", args![name])?;
        self.db.row("SELECT id FROM projects WHERE name = ?1", args![name])?.get(0)
    }

    /// Records a probed video master (updating its probe if already known).
    pub fn upsert_video_master(&self, project_id: i64, media: &MediaInfo) -> Result<i64> {
        let path = media.path.to_string_lossy();
        let json = serde_json::to_string(media)?;
        self.db.execute(
            "INSERT INTO masters (project_id, path, kind, media_json, duration_s) VALUES (?1, ?2, 'video', ?3, ?4)
             ON CONFLICT (project_id, path) DO UPDATE SET media_json = excluded.media_json, duration_s = excluded.duration_s",
            args![project_id, path, json, media.duration],
        )?;
        self.master_id(project_id, &path)
    }

    /// Records an article master (once per path).
    pub fn upsert_article_master(&self, project_id: i64, path: &std::path::Path) -> Result<i64> {
        let path = path.to_string_lossy();
        self.db.execute(
            "INSERT INTO masters (project_id, path, kind) VALUES (?1, ?2, 'article') ON CONFLICT (project_id, path) DO NOTHING",
            args![project_id, path],
        )?;
        self.master_id(project_id, &path)
    }

    /// Adds a note variant; its cards are already rendered.
    pub fn add_note_variant(&mut self, master_id: i64, plan: &crate::notes::NotePlan) -> Result<i64> {
        self.db
            .row(
                "INSERT INTO variants (master_id, platform, kind, plan_json, title, body, tags_json)
             VALUES (?1, ?2, 'note', ?3, ?4, ?5, ?6) RETURNING id",
                args![
                    master_id,
                    plan.platform,
                    self.portable_json(plan)?,
                    plan.text.title,
                    plan.text.body,
                    serde_json::to_string(&plan.text.tags)?
                ],
            )?
            .get(0)
    }

    fn master_id(&self, project_id: i64, path: &str) -> Result<i64> {
        self.db.row("SELECT id FROM masters WHERE project_id = ?1 AND path = ?2", args![project_id, path])?.get(0)
    }

    /// Adds a video variant and its render job in one transaction.
    pub fn add_video_variant(&mut self, master_id: i64, plan: &VariantPlan) -> Result<(i64, i64)> {
        let json = self.portable_json(plan)?;
        let (output, cover) = (self.portable_path(&plan.output), self.portable_path(&plan.cover.output));
        self.db.write(|tx| {
            let variant_id: i64 = tx
                .row(
                    "INSERT INTO variants (master_id, platform, kind, plan_json) VALUES (?1, ?2, 'video', ?3) RETURNING id",
                    args![master_id, plan.platform, json],
                )?
                .get(0)?;
            let job_id: i64 = tx
                .row(
                    "INSERT INTO render_jobs (variant_id, output_path, cover_path) VALUES (?1, ?2, ?3) RETURNING id",
                    args![variant_id, output, cover],
                )?
                .get(0)?;
            Ok((variant_id, job_id))
        })
    }

    /// (id, path, kind, media JSON, duration), newest first; `only` picks one master.
    #[allow(clippy::type_complexity)]
    pub fn master_rows(&self, only: Option<i64>) -> Result<Vec<(i64, String, String, Option<String>, Option<f64>)>> {
        self.db
            .query(
                "SELECT id, path, kind, media_json, duration_s FROM masters WHERE CAST(?1 AS BIGINT) IS NULL OR id = ?1 ORDER BY id DESC",
                args![only],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .collect()
    }

    pub fn variants(&self) -> Result<Vec<VariantRow>> {
        self.db
            .query("SELECT id, master_id, platform, kind, review_state FROM variants ORDER BY id", args![])?
            .iter()
            .map(|r| {
                Ok(VariantRow {
                    id: r.get(0)?,
                    master_id: r.get(1)?,
                    platform: r.get(2)?,
                    kind: r.get(3)?,
                    review_state: r.get(4)?,
                })
            })
            .collect()
    }

    /// The stored plan of a variant.
    pub fn variant_plan(&self, variant_id: i64) -> Result<Option<VariantPlan>> {
        let json: Option<String> = self
            .db
            .opt("SELECT plan_json FROM variants WHERE id = ?1", args![variant_id])?
            .map(|r| r.get(0))
            .transpose()?;
        json.map(|j| self.local_json(&j)).transpose()
    }
}

/// Where a variant comes from: its project and master.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    pub project: String,
    pub master_id: i64,
    pub master_path: String,
    pub master_kind: String,
    pub media_json: Option<String>,
}

/// A variant as it arrives in a team database from a laptop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arrival {
    pub master_id: i64,
    pub platform: String,
    pub kind: String,
    /// With every file as a team-storage reference.
    pub plan_json: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// The rendered video: (reference, cover reference, size, SHA-256).
    pub render: Option<(String, Option<String>, u64, String)>,
    /// What the audit row says about where it came from.
    pub detail: serde_json::Value,
}

impl Store {
    pub fn variant_origin(&self, variant_id: i64) -> Result<Origin> {
        let r = self
            .db
            .opt(
                "SELECT p.name, m.id, m.path, m.kind, m.media_json FROM variants v
                 JOIN masters m ON m.id = v.master_id JOIN projects p ON p.id = m.project_id WHERE v.id = ?1",
                args![variant_id],
            )?
            .ok_or(crate::error::EngineError::NotFound { what: "variant", id: variant_id })?;
        Ok(Origin {
            project: r.get(0)?,
            master_id: r.get(1)?,
            master_path: r.get(2)?,
            master_kind: r.get(3)?,
            media_json: r.get(4)?,
        })
    }

    /// Takes a variant sent from a laptop: a new draft, or — when `into` is
    /// the one sent before and it is a draft or sent back — its new content
    /// and render. Returns the variant's id here.
    pub fn receive_variant(&mut self, into: Option<i64>, arrival: &Arrival) -> Result<i64> {
        self.db.act("receive", |tx| receive_in(tx, into, arrival))
    }

    /// Receives a variant and sends it to review in one transaction: `scan`
    /// checks the content exactly as it arrived, and its findings are recorded.
    pub fn receive_and_submit(
        &mut self,
        into: Option<i64>,
        arrival: &Arrival,
        actor: &super::Person,
        scan: impl Fn(&super::VariantContent) -> Result<Vec<crate::compliance::Finding>>,
    ) -> Result<(i64, Vec<crate::compliance::Finding>)> {
        self.db.act("send", |tx| {
            let id = receive_in(tx, into, arrival)?;
            let content = super::review::load_content(tx, id)?;
            let findings = scan(&content)?;
            super::review::submit_in(tx, id, actor, &content.content_hash(), &findings)?;
            Ok((id, findings))
        })
    }

    /// The team variant a local one was sent as, on `server`.
    pub fn team_link(&self, variant_id: i64, server: &str) -> Result<Option<i64>> {
        self.db
            .opt(
                "SELECT team_variant_id FROM team_links WHERE variant_id = ?1 AND server = ?2",
                args![variant_id, server],
            )?
            .map(|r| r.get(0))
            .transpose()
    }

    pub fn set_team_link(&self, variant_id: i64, server: &str, team_variant_id: i64) -> Result<()> {
        self.db.execute(
            "INSERT INTO team_links (variant_id, server, team_variant_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (variant_id) DO UPDATE SET server = excluded.server, team_variant_id = excluded.team_variant_id",
            args![variant_id, server, team_variant_id],
        )?;
        Ok(())
    }
}

fn receive_in(tx: &super::db::Db, into: Option<i64>, arrival: &Arrival) -> Result<i64> {
    let reusable = match into {
        Some(id) => tx
            .opt("SELECT review_state FROM variants WHERE id = ?1", args![id])?
            .map(|r| r.get::<String>(0))
            .transpose()?
            .is_some_and(|s| s == "draft" || s == "changes_requested"),
        None => false,
    };
    let tags = serde_json::to_string(&arrival.tags)?;
    let id: i64 = if let (true, Some(id)) = (reusable, into) {
        tx.execute(
            "UPDATE variants SET plan_json = ?2, title = ?3, body = ?4, tags_json = ?5, updated_at = {now}
             WHERE id = ?1",
            args![id, arrival.plan_json, arrival.title, arrival.body, tags],
        )?;
        id
    } else {
        tx.row(
            "INSERT INTO variants (master_id, platform, kind, plan_json, title, body, tags_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            args![
                arrival.master_id,
                arrival.platform,
                arrival.kind,
                arrival.plan_json,
                arrival.title,
                arrival.body,
                tags
            ],
        )?
        .get(0)?
    };
    if let Some((output, cover, size, sha)) = &arrival.render {
        let latest: Option<String> = tx
            .opt(
                "SELECT sha256 FROM render_jobs WHERE variant_id = ?1 AND state = 'done' ORDER BY id DESC LIMIT 1",
                args![id],
            )?
            .map(|r| r.get(0))
            .transpose()?;
        if latest.as_deref() != Some(sha.as_str()) {
            tx.execute(
                "INSERT INTO render_jobs
                     (variant_id, state, progress, output_path, cover_path, size_bytes, sha256, started_at, finished_at)
                 VALUES (?1, 'done', 100, ?2, ?3, ?4, ?5, {now}, {now})",
                args![id, output, cover, i64::try_from(*size).unwrap_or(i64::MAX), sha],
            )?;
        }
    }
    super::audit::append(
        tx,
        &super::audit::AuditRecord {
            actor: "",
            action: "receive",
            entity: "variant",
            entity_id: Some(id),
            detail: arrival.detail.clone(),
            after_hash: arrival.render.as_ref().map(|r| r.3.as_str()),
            ..Default::default()
        },
    )?;
    Ok(id)
}
