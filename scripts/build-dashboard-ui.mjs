// Bundles the dashboard's web UI (services/dashboard/ui) into dist/dashboard-ui: index.html, app.js,
// app.css (uPlot's CSS included). Everything is bundled at build time: a fleet may run offline.
// Usage: node scripts/build-dashboard-ui.mjs [--watch]
import { build, context } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ui = join(root, "services/dashboard/ui");
const out = join(root, "dist/dashboard-ui");

/** @type {import("esbuild").BuildOptions} */
const options = {
  entryPoints: { app: join(ui, "src/main.tsx") },
  outdir: out,
  bundle: true,
  format: "esm",
  target: ["es2022", "chrome110", "firefox115", "safari16"],
  minify: true,
  sourcemap: "linked",
  absWorkingDir: root,
  tsconfig: join(ui, "tsconfig.json"),
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
};

/** Server code the page may bundle: the stream's delta applier, which imports types only. */
const SHARED = new Set(["libs/contracts/src/dashboard-delta.ts"]);

/** The page takes only types from libs/contracts: a value import would bundle zod and the schemas into it. */
function checkInputs(metafile) {
  const leaked = Object.keys(metafile.inputs).filter(
    (input) => !SHARED.has(input) && /(^|\/)(libs\/|node_modules\/zod\/)/.test(input),
  );
  if (leaked.length > 0) {
    throw new Error(`the dashboard UI bundles server code (use \`import type\`): ${leaked.join(", ")}`);
  }
}

await mkdir(out, { recursive: true });
await copyFile(join(ui, "index.html"), join(out, "index.html"));

if (process.argv.includes("--watch")) {
  const ctx = await context({
    ...options,
    plugins: [{ name: "check", setup: (b) => b.onEnd((r) => r.metafile && checkInputs(r.metafile)) }],
  });
  await ctx.watch();
  console.log(`dashboard UI: watching, writing ${relative(root, out)}`);
} else {
  const result = await build(options);
  checkInputs(result.metafile);
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith(".map"))
    .map(([file, o]) => `${relative(root, file)} ${(o.bytes / 1024).toFixed(0)} KiB`);
  console.log(`dashboard UI: ${bytes.join(", ")}`);
}
