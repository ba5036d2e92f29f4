// Errors and notices from the studio, worded from the shared catalogs in
// `assets/messages/` (the CLI words them from the same files). The English
// sentence that came with a notice is shown only for a code the catalog lacks.
import en from "../../../assets/messages/en.json";
import zhCN from "../../../assets/messages/zh-CN.json";
import type { IpcError } from "../bindings/IpcError";
import type { NoticeView } from "../bindings/NoticeView";
import { locale } from "./i18n.svelte";

const catalogs: Record<string, Record<string, string>> = { "zh-CN": zhCN, en };

/** `key` from the current language's catalog, its `{slots}` filled, else `fallback`. */
export function word(key: string, params: Partial<Record<string, string>>, fallback: string): string {
  const template = catalogs[locale()][key];
  if (template === undefined) return fallback;
  let missing = false;
  const text = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) missing = true;
    return value ?? "";
  });
  return missing ? fallback : text;
}

/** A warning, plan note or clash in the user's language; `{parts}` lists its own notices. */
export function say(n: NoticeView): string {
  if (n.parts.length === 0) return word(n.code, n.params, n.text);
  const separator = locale() === "en" ? " / " : "；";
  return word(n.code, { ...n.params, parts: n.parts.map(say).join(separator) }, n.text);
}

/** An error from a command in the user's language (its code stays in the DOM for support). */
export function sayError(e: unknown): string {
  const err = e as Partial<IpcError>;
  if (!err.message) return String(e);
  return word(err.key ?? err.code ?? "", err.params ?? {}, err.message);
}
