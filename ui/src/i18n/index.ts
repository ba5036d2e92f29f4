import zhCN from "./zh-CN.json";
import en from "./en.json";

export type Locale = "zh-CN" | "en";
export type MessageKey = keyof typeof zhCN;

const catalogs: Record<Locale, Record<MessageKey, string>> = { "zh-CN": zhCN, en };

let current: Locale = (localStorage.getItem("locale") as Locale | null) ?? "zh-CN";

export function locale(): Locale {
  return current;
}

export function setLocale(next: Locale): void {
  current = next;
  localStorage.setItem("locale", next);
  document.documentElement.lang = next;
}

/** Looks a message up in the current language and fills `{name}` slots. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = catalogs[current][key] ?? catalogs["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}
