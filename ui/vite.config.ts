import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

// Tauri serves the built files itself; the dev server is only for `tauri dev`.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  // The message catalogs live in ../assets/messages, shared with the engine.
  server: { port: 5173, strictPort: true, fs: { allow: [".."] } },
  // Loaded from disk by the app, so one larger chunk (the chart library) costs nothing over the network.
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
