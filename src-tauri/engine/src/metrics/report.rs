//! Comparisons over each post's newest figures: per platform, per account,
//! and per variant of one master ("which cut worked").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::store::{Counts, PostMetrics};

/// What rows group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Platform,
    Account,
    Variant,
}

impl std::str::FromStr for GroupBy {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "platform" => Ok(Self::Platform),
            "account" => Ok(Self::Account),
            "variant" | "cut" => Ok(Self::Variant),
            other => Err(EngineError::Refused(
                crate::message::Notice::new(
                    "report.bad_group",
                    format!("cannot group by `{other}`; use platform, account or variant"),
                )
                .with("value", other),
            )),
        }
    }
}

/// One group's totals. Rates are over posts that reported views.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    pub key: String,
    /// For variants: the master it was cut from.
    pub master_id: Option<i64>,
    pub posts: usize,
    pub totals: Counts,
    pub views_per_post: Option<f64>,
    /// (likes + comments + shares + favourites) / views.
    pub engagement_rate: Option<f64>,
    /// conversions / views.
    pub conversion_rate: Option<f64>,
}

fn add(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

fn key_of(m: &PostMetrics, by: GroupBy) -> String {
    match by {
        GroupBy::Platform => m.account_platform.clone().unwrap_or_else(|| m.platform.clone()),
        GroupBy::Account => match (&m.account_platform, &m.account_handle) {
            (Some(p), Some(h)) => format!("{p}:{h}"),
            _ => "(no account)".into(),
        },
        GroupBy::Variant => {
            let length = m.duration.map(|d| format!(" {d:.0}s")).unwrap_or_default();
            format!("#{} {}{length}", m.variant_id, m.platform)
        }
    }
}

/// Groups posts' newest figures; `master` keeps one master's posts only.
/// Rows come best first by views (then engagement).
pub fn compare(metrics: &[PostMetrics], by: GroupBy, master: Option<i64>) -> Vec<ReportRow> {
    let mut groups: BTreeMap<String, (Option<i64>, Vec<&PostMetrics>)> = BTreeMap::new();
    for m in metrics.iter().filter(|m| master.is_none_or(|id| m.master_id == id)) {
        let entry = groups.entry(key_of(m, by)).or_insert((None, Vec::new()));
        if by == GroupBy::Variant {
            entry.0 = Some(m.master_id);
        }
        entry.1.push(m);
    }
    let mut rows: Vec<ReportRow> = groups
        .into_iter()
        .map(|(key, (master_id, posts))| {
            let mut t = Counts::default();
            let (mut engaged, mut engaged_views, mut converted, mut converted_views) = (0i64, 0i64, 0i64, 0i64);
            for p in &posts {
                let c = p.counts;
                t = Counts {
                    views: add(t.views, c.views),
                    likes: add(t.likes, c.likes),
                    comments: add(t.comments, c.comments),
                    shares: add(t.shares, c.shares),
                    favorites: add(t.favorites, c.favorites),
                    followers: add(t.followers, c.followers),
                    conversions: add(t.conversions, c.conversions),
                };
                if let Some(v) = c.views.filter(|v| *v > 0) {
                    let interactions = [c.likes, c.comments, c.shares, c.favorites];
                    if interactions.iter().any(Option::is_some) {
                        engaged += interactions.iter().flatten().sum::<i64>();
                        engaged_views += v;
                    }
                    if let Some(conv) = c.conversions {
                        converted += conv;
                        converted_views += v;
                    }
                }
            }
            let with_views = posts.iter().filter(|p| p.counts.views.is_some()).count();
            let ratio = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
            ReportRow {
                key,
                master_id,
                posts: posts.len(),
                views_per_post: t.views.filter(|_| with_views > 0).map(|v| v as f64 / with_views as f64),
                engagement_rate: ratio(engaged, engaged_views),
                conversion_rate: ratio(converted, converted_views),
                totals: t,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.views_per_post
            .unwrap_or(-1.0)
            .total_cmp(&a.views_per_post.unwrap_or(-1.0))
            .then(b.engagement_rate.unwrap_or(-1.0).total_cmp(&a.engagement_rate.unwrap_or(-1.0)))
            .then(a.key.cmp(&b.key))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(post: i64, variant: i64, platform: &str, handle: &str, views: Option<i64>, likes: Option<i64>) -> PostMetrics {
        PostMetrics {
            post_id: post,
            variant_id: variant,
            master_id: 1,
            master_path: "talk.mp4".into(),
            platform: platform.into(),
            kind: "video".into(),
            account_id: Some(1),
            account_handle: Some(handle.into()),
            account_platform: Some(platform.trim_end_matches("-notes").into()),
            title: String::new(),
            duration: Some(15.0),
            captured_at: String::new(),
            counts: Counts { views, likes, conversions: likes.map(|l| l / 10), ..Default::default() },
        }
    }

    #[test]
    fn totals_rates_and_order() {
        let data = [
            m(1, 10, "douyin", "a", Some(1000), Some(100)),
            m(2, 10, "douyin", "b", Some(3000), Some(60)),
            m(3, 11, "douyin-notes", "a", Some(500), None),
            m(4, 12, "xiaohongshu", "c", None, Some(7)),
        ];
        let rows = compare(&data, GroupBy::Platform, None);
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["douyin", "xiaohongshu"], "notes count under their account's platform; no views last");
        let d = &rows[0];
        assert_eq!((d.posts, d.totals.views, d.totals.likes), (3, Some(4500), Some(160)));
        assert_eq!(d.views_per_post, Some(1500.0));
        // Engagement only over posts that reported both views and interactions.
        assert_eq!(d.engagement_rate, Some(160.0 / 4000.0));
        assert_eq!(d.conversion_rate, Some(16.0 / 4000.0));
        let x = &rows[1];
        assert_eq!((x.totals.views, x.views_per_post, x.engagement_rate), (None, None, None));

        let by_variant = compare(&data, GroupBy::Variant, Some(1));
        assert_eq!(by_variant[0].key, "#10 douyin 15s");
        assert_eq!(by_variant[0].master_id, Some(1));
        assert!(compare(&data, GroupBy::Variant, Some(2)).is_empty());
        let by_account = compare(&data, GroupBy::Account, None);
        assert_eq!(by_account[0].key, "douyin:b");
    }
}
