import { invoke } from "@tauri-apps/api/core";
import type { AppInfo } from "./bindings/AppInfo";
import type { CalendarPost } from "./bindings/CalendarPost";
import type { IpcError } from "./bindings/IpcError";
import type { JobSummary } from "./bindings/JobSummary";
import type { PlatformSummary } from "./bindings/PlatformSummary";
import type { ReportRowView } from "./bindings/ReportRowView";
import { locale, setLocale, t, type MessageKey } from "./i18n";
import { drawReport } from "./report";

const GROUPS = ["platform", "account", "variant"] as const;

function percent(v: number | null): string {
  return v === null ? "—" : `${(v * 100).toFixed(2)}%`;
}

function count(v: number | null): string {
  return v === null ? "—" : Math.round(v).toLocaleString(locale());
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

function fillTable(table: HTMLTableElement, header: string[], rows: string[][]): void {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  header.forEach((h) => head.appendChild(el("th", h)));
  const body = table.createTBody();
  rows.forEach((cells) => {
    const row = body.insertRow();
    cells.forEach((c) => row.appendChild(el("td", c)));
  });
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

async function render(): Promise<void> {
  document.title = t("title");
  byId("title").textContent = t("title");
  byId("lang").textContent = t("switchLanguage");
  byId("platforms-heading").textContent = t("platformsHeading");
  byId("jobs-heading").textContent = t("jobsHeading");
  byId("calendar-heading").textContent = t("calendarHeading");
  byId("report-heading").textContent = t("reportHeading");
  byId("group-label").textContent = t("groupBy");
  const select = byId<HTMLSelectElement>("group-by");
  const chosen = select.value || "platform";
  select.replaceChildren(
    ...GROUPS.map((g) => {
      const option = el("option", t(`group.${g}` as MessageKey));
      option.value = g;
      return option;
    }),
  );
  select.value = chosen;
  const status = byId("status");
  status.textContent = "";
  try {
    const [info, platforms, jobs, posts, report] = await Promise.all([
      invoke<AppInfo>("app_info"),
      invoke<PlatformSummary[]>("platforms"),
      invoke<JobSummary[]>("jobs"),
      invoke<CalendarPost[]>("calendar", { from: null, days: 28 }),
      invoke<ReportRowView[]>("report", { by: chosen, master: null }),
    ]);
    document.body.dataset.dataDir = info.data_dir;
    fillTable(
      byId("platforms"),
      [t("colPlatform"), t("colFrame"), t("colDuration")],
      platforms.map((p) => [
        locale() === "en" ? p.name_en : p.name,
        p.width && p.height ? `${p.width}×${p.height}` : "—",
        p.width === null
          ? t("notesOnly")
          : p.target_duration === null
            ? t("wholeMaster")
            : t("seconds", { n: p.target_duration }),
      ]),
    );
    fillTable(
      byId("jobs"),
      [t("colJob"), t("colPlatform"), t("colState"), t("colProgress"), t("colOutput")],
      jobs.map((j) => [
        `#${j.id}`,
        j.platform,
        t(`state.${j.state}` as MessageKey),
        `${Math.round(j.progress)}%`,
        j.error ?? j.output_path,
      ]),
    );
    if (jobs.length === 0) status.textContent = t("noJobs");
    fillTable(
      byId("calendar"),
      [t("colTime"), t("colAccount"), t("colPlatform"), t("colTitle"), t("colStatus")],
      posts.map((p) => [p.local_time, p.account, p.platform, p.title, t(`post.${p.status}` as MessageKey)]),
    );
    byId("calendar-empty").textContent = posts.length === 0 ? t("noPosts") : "";
    fillTable(
      byId("report"),
      [
        t("groupBy"),
        t("colPosts"),
        t("colViews"),
        t("colViewsPerPost"),
        t("colLikes"),
        t("colEngagement"),
        t("colConversion"),
      ],
      report.map((r) => [
        r.key,
        String(r.posts),
        count(r.views),
        count(r.views_per_post),
        count(r.likes),
        percent(r.engagement_rate),
        percent(r.conversion_rate),
      ]),
    );
    byId("report-empty").textContent = report.length === 0 ? t("noMetrics") : "";
    byId("report-chart").hidden = report.length === 0;
    if (report.length > 0) drawReport(byId("report-chart"), report);
  } catch (e) {
    const err = e as IpcError;
    status.textContent = t("error", { message: err.message ?? String(e) });
  }
}

byId("lang").addEventListener("click", () => {
  setLocale(locale() === "zh-CN" ? "en" : "zh-CN");
  void render();
});
byId("group-by").addEventListener("change", () => void render());
setLocale(locale());
void render();
