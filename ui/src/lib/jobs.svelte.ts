import * as ipc from "../bindings/commands";
import { Channel } from "@tauri-apps/api/core";
import type { JobEvent } from "../bindings/JobEvent";

export interface Live {
  percent: number;
  fps: number;
  eta: number | null;
}

/** Live progress by job id, fed by the render runner's channel. */
export const live = $state<{ progress: Record<number, Live>; batches: number; lastBatch: string }>({
  progress: {},
  batches: 0,
  lastBatch: "",
});

let listeners: Array<(e: JobEvent) => void> = [];

export function onJobEvent(listener: (e: JobEvent) => void): () => void {
  listeners.push(listener);
  return () => {
    listeners = listeners.filter((l) => l !== listener);
  };
}

/** Opens the channel once; the runner resumes any queued jobs. */
export async function watchJobs(): Promise<void> {
  const channel = new Channel<JobEvent>();
  channel.onmessage = (e) => {
    if (e.kind === "progress") {
      live.progress[e.job_id] = { percent: e.percent, fps: e.fps, eta: e.eta_seconds };
    } else if (e.kind === "finished") {
      delete live.progress[e.job_id];
    } else if (e.kind === "batch_done") {
      live.batches += 1;
    }
    listeners.forEach((l) => l(e));
  };
  await ipc.watchJobs({ channel });
}
