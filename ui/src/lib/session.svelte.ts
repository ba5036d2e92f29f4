import type { AppInfo } from "../bindings/AppInfo";
import type { PlatformSummary } from "../bindings/PlatformSummary";

/** Who is acting (a local profile) and what the app knows at start. */
export const session = $state<{
  actor: string;
  info: AppInfo | null;
  platforms: PlatformSummary[];
  /** The master the editor works on. */
  masterId: number | null;
  /** Bumped when jobs or variants change, so screens reload. */
  revision: number;
}>({
  actor: localStorage.getItem("actor") ?? "",
  info: null,
  platforms: [],
  masterId: null,
  revision: 0,
});

export function setActor(name: string): void {
  session.actor = name;
  localStorage.setItem("actor", name);
}

/** A platform's name in the window's language (its id when no profile has it). */
export function platformName(id: string, lang: string): string {
  const p = session.platforms.find((x) => x.id === id);
  if (!p) return id;
  return lang === "en" ? p.name_en : p.name;
}
