import { invoke } from "@tauri-apps/api/core";
import type { AppInfo } from "./bindings/AppInfo";
import type { IpcError } from "./bindings/IpcError";
import type { JobSummary } from "./bindings/JobSummary";
import type { PlatformSummary } from "./bindings/PlatformSummary";
import { locale, setLocale, t, type MessageKey } from "./i18n";

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
  const status = byId("status");
  status.textContent = "";
  try {
    const [info, platforms, jobs] = await Promise.all([
      invoke<AppInfo>("app_info"),
      invoke<PlatformSummary[]>("platforms"),
      invoke<JobSummary[]>("jobs"),
    ]);
    document.body.dataset.dataDir = info.data_dir;
    fillTable(
      byId("platforms"),
      [t("colPlatform"), t("colFrame"), t("colDuration")],
      platforms.map((p) => [
        locale() === "en" ? p.name_en : p.name,
        p.width && p.height ? `${p.width}×${p.height}` : "—",
        p.target_duration === null ? t("wholeMaster") : t("seconds", { n: p.target_duration }),
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
  } catch (e) {
    const err = e as IpcError;
    status.textContent = t("error", { message: err.message ?? String(e) });
  }
}

byId("lang").addEventListener("click", () => {
  setLocale(locale() === "zh-CN" ? "en" : "zh-CN");
  void render();
});
setLocale(locale());
void render();
