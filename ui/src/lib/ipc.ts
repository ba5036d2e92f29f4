import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import type { IpcError } from "../bindings/IpcError";
import { sayError } from "./messages";

/** Calls a command; rejects with the engine's `{ code, message, key, params }`. */
export async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    const err = e as Partial<IpcError>;
    const code = err.code ?? "ipc";
    throw {
      code,
      message: err.message ?? String(e),
      key: err.key ?? code,
      params: err.params ?? {},
    } satisfies IpcError;
  }
}

/** An error in the user's language, from the message catalogs. */
export function errorText(e: unknown): string {
  return sayError(e);
}

/** A file in the data folder or an imported master, through the scoped asset protocol. */
export function media(path: string | null | undefined): string {
  return path ? convertFileSrc(path) : "";
}

export function clock(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(2).padStart(5, "0")}`;
}
