//! The variant editor: the preview geometry (straight from the engine's plan,
//! so what the window draws is what ffmpeg renders) and queuing renders.

use crate::error::NoticeView;
use serde::{Deserialize, Serialize};
use studio_engine::message::Notice;
use studio_engine::plan::{FocusPoint, PlacedOverlay, PlanRequest, Segment};
use studio_engine::platform::ReframeMode;
use tauri::State;
use ts_rs::TS;

use super::{id32, master_of_kind, person};
use crate::error::IpcError;
use crate::state::AppState;

/// What the user chose for one platform.
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct VariantChoice {
    pub platform: String,
    /// In and out points in the master, seconds; `end` null means the profile's length from `start`.
    pub start: f64,
    pub end: Option<f64>,
    /// More parts joined after the first, in order.
    pub extra_segments: Vec<SegmentView>,
    /// crop | blurred-fill | fit; null for the profile's own.
    pub reframe: Option<String>,
    pub focus_x: f64,
    pub focus_y: f64,
    /// Burn the master's subtitles in; absent or null for the profile's own choice.
    #[serde(default)]
    #[ts(optional)]
    pub captions: Option<bool>,
    /// When the disclaimer shows: whole | start-end | start-end,every=10m; absent or null for the profile's.
    #[serde(default)]
    #[ts(optional)]
    pub disclaimer_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SegmentView {
    pub start: f64,
    pub end: f64,
}

/// The frame a platform gets, and where its overlay sits in it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct PreviewView {
    pub platform: String,
    pub width: u32,
    pub height: u32,
    pub source_width: u32,
    pub source_height: u32,
    pub reframe: String,
    pub duration: f64,
    pub segments: Vec<SegmentView>,
    pub safe_top: u32,
    pub safe_bottom: u32,
    pub safe_left: u32,
    pub safe_right: u32,
    /// The disclaimer picture the render overlays, at its place in the frame.
    pub overlay: Option<OverlayView>,
    /// Output seconds the disclaimer is on screen in (one window for the whole
    /// clip, or the start, reminders and end with start-end timing).
    pub overlay_windows: Vec<SegmentView>,
    /// The AI-content label picture (a marked master), at its place in the frame.
    pub ai_label: Option<OverlayView>,
    /// Output frames per second: caption pictures are timed in frames.
    pub fps: u32,
    /// Burned-in caption pictures, in the band the render puts them in.
    pub captions: Vec<CaptionView>,
    pub caption_band: Option<OverlayView>,
    pub notes: Vec<NoticeView>,
}

/// One caption picture and the output frames `[first_frame, end_frame)` it is on.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CaptionView {
    pub image: String,
    pub first_frame: u32,
    pub end_frame: u32,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct OverlayView {
    pub image: String,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

fn request(
    state: &AppState,
    master_id: i32,
    choice: &VariantChoice,
    disclaimer: &str,
) -> Result<PlanRequest, IpcError> {
    let mut segments = Vec::new();
    if let Some(end) = choice.end {
        segments.push(Segment { start: choice.start, end });
        segments.extend(choice.extra_segments.iter().map(|s| Segment { start: s.start, end: s.end }));
    }
    for (name, v) in [("focus_x", choice.focus_x), ("focus_y", choice.focus_y)] {
        if !(0.0..=1.0).contains(&v) {
            return Err(IpcError::refused(
                Notice::new("editor.focus_range", format!("{name} must be between 0 and 1")).with("name", name),
            ));
        }
    }
    Ok(PlanRequest {
        start: segments.is_empty().then_some(choice.start),
        segments,
        reframe: choice.reframe.as_deref().map(str::parse::<ReframeMode>).transpose()?,
        focus: FocusPoint { x: choice.focus_x, y: choice.focus_y },
        disclaimer: match disclaimer {
            "none" => None,
            id => {
                let mut d = state.studio().disclaimer_with_settings(id)?;
                d.at = choice.disclaimer_at.as_deref().filter(|s| !s.is_empty()).map(str::parse).transpose()?;
                Some(d)
            }
        },
        cues: state.studio().store()?.subtitles(i64::from(master_id))?.map(|s| s.cues).unwrap_or_default(),
        burn_captions: choice.captions,
        // The master's stored mark (`studio ai mark`): every variant carries its label.
        ai: state.studio().store()?.master_ai(i64::from(master_id))?,
    })
}

fn placed(o: &PlacedOverlay) -> OverlayView {
    OverlayView {
        image: o.source.path.display().to_string(),
        x: o.x,
        y: o.y,
        width: o.source.width,
        height: o.source.height,
    }
}

fn master_media(state: &AppState, master_id: i32) -> Result<studio_engine::probe::MediaInfo, IpcError> {
    master_of_kind(state, master_id, "video")?.media.ok_or_else(|| super::not_of_kind(master_id, "video"))
}

/// Plans without rendering: the geometry the preview draws.
#[tauri::command]
pub fn preview(
    state: State<'_, AppState>,
    master_id: i32,
    choice: VariantChoice,
    disclaimer: String,
) -> Result<PreviewView, IpcError> {
    let studio = state.studio();
    let media = master_media(&state, master_id)?;
    let out = studio.data_dir().join("renders");
    let plan = studio.plan(&media, &choice.platform, &request(&state, master_id, &choice, &disclaimer)?, &out)?;
    let profile = studio.platforms().get(&choice.platform)?;
    let z = profile.safe_zone;
    Ok(PreviewView {
        platform: plan.platform.clone(),
        width: plan.width,
        height: plan.height,
        source_width: plan.source_width,
        source_height: plan.source_height,
        reframe: format!("{:?}", plan.reframe).to_lowercase(),
        duration: plan.duration,
        segments: plan.segments.iter().map(|s| SegmentView { start: s.start, end: s.end }).collect(),
        safe_top: z.top,
        safe_bottom: z.bottom,
        safe_left: z.left,
        safe_right: z.right,
        overlay: plan.overlay.as_ref().map(placed),
        overlay_windows: plan
            .overlay
            .as_ref()
            .map(|o| o.on_screen(plan.duration).iter().map(|w| SegmentView { start: w.start, end: w.end }).collect())
            .unwrap_or_default(),
        ai_label: plan.ai_label.as_ref().map(|l| placed(&l.overlay)),
        fps: plan.fps,
        captions: plan
            .captions
            .iter()
            .filter(|c| c.burn)
            .flat_map(|c| &c.pictures)
            .map(|p| CaptionView {
                image: p.image.display().to_string(),
                first_frame: u32::try_from(p.span.first_frame).unwrap_or(u32::MAX),
                end_frame: u32::try_from(p.span.end_frame).unwrap_or(u32::MAX),
            })
            .collect(),
        caption_band: plan.captions.as_ref().filter(|c| c.burn).map(|c| OverlayView {
            image: String::new(),
            x: c.band.x,
            y: c.band.y,
            width: c.band.width,
            height: c.band.height,
        }),
        notes: crate::error::notices(plan.notes.clone()),
    })
}

/// Queues one render per choice and starts the runner; returns the job ids.
#[tauri::command]
pub fn render(
    state: State<'_, AppState>,
    actor: String,
    master_id: i32,
    choices: Vec<VariantChoice>,
    disclaimer: String,
) -> Result<Vec<i32>, IpcError> {
    let studio = state.studio();
    if choices.is_empty() {
        return Err(IpcError::refused(Notice::new("editor.no_platform", "choose at least one platform")));
    }
    let store = studio.store()?;
    let who = person(&store, &actor)?;
    let media = master_media(&state, master_id)?;
    let out = studio.data_dir().join("renders");
    let plans = choices
        .iter()
        .map(|c| {
            studio.plan(&media, &c.platform, &request(&state, master_id, c, &disclaimer)?, &out).map_err(IpcError::from)
        })
        .collect::<Result<Vec<_>, IpcError>>()?;
    let ids = studio.enqueue("default", &media, &plans)?;
    for (variant_id, _) in &ids {
        store.set_author(*variant_id, &who)?;
    }
    state.start_runner();
    Ok(ids.into_iter().map(|(_, job)| id32(job)).collect())
}
