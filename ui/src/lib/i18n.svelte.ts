import en from "../i18n/en.json";
import zhCN from "../i18n/zh-CN.json";

export type Locale = "zh-CN" | "en";
export type MessageKey = keyof typeof zhCN;

const catalogs: Record<Locale, Record<MessageKey, string>> = { "zh-CN": zhCN, en };

const stored = localStorage.getItem("locale");
const state = $state<{ locale: Locale }>({ locale: stored === "en" ? "en" : "zh-CN" });
document.documentElement.lang = state.locale;

export function locale(): Locale {
  return state.locale;
}

/** Switches the language at runtime; every `t()` in a template follows. */
export function setLocale(next: Locale): void {
  state.locale = next;
  localStorage.setItem("locale", next);
  document.documentElement.lang = next;
}

/** Looks a message up in the current language and fills `{name}` slots. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = catalogs[state.locale][key] ?? catalogs["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** A key built at runtime (e.g. `state.${s}`), shown as itself when missing. */
export function tk(key: string, vars: Record<string, string | number> = {}): string {
  return key in zhCN ? t(key as MessageKey, vars) : key;
}
