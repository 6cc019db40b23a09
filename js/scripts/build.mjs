// Bundles the client into one ES module for browsers: the file that
// `avacollab serve` ships at /client/avacollab.js; and the web editor
// (js/app) next to it: app.js, app.css and the page template app.html,
// served at /client/app.js, /client/app.css and /app/ROOM.
//
//   node scripts/build.mjs [OUTFILE]
//
// The editor's files go into OUTFILE's directory. The output must be
// byte-for-byte what the sources build (a Python test rebuilds it and
// compares), so nothing in it may depend on the machine, the time or the
// path: no source maps, no banner with a date, no absolute paths.
import { build } from "esbuild";
import { copyFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outfile = path.resolve(process.argv[2] ?? path.join(root, "..", "avacollab", "web", "avacollab.js"));
const outdir = path.dirname(outfile);

/** @type {import("esbuild").BuildOptions} */
const common = {
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  // Minified: a page loads and compiles it on every fresh join, and the
  // server sends it uncompressed; page authors step through js/src, which
  // the npm package exports as it is.
  minify: true,
  sourcemap: false,
  legalComments: "inline",
  charset: "utf8",
  logLevel: "warning",
};

await build({ ...common, entryPoints: ["src/index.js"], outfile });

// The editor imports the client's sources (so tsc checks it against them)
// but loads the shipped client at run time: one copy in the browser's
// cache, shared with any other page of the server.
/** @type {import("esbuild").Plugin} */
const sharedClient = {
  name: "shared-client",
  setup(b) {
    b.onResolve({ filter: /\/src\/index\.js$/ }, () => ({ path: "/client/avacollab.js", external: true }));
  },
};
await build({ ...common, entryPoints: ["app/main.js"], outfile: path.join(outdir, "app.js"), plugins: [sharedClient] });
await build({ ...common, entryPoints: ["app/app.css"], outfile: path.join(outdir, "app.css") });
await copyFile(path.join(root, "app", "app.html"), path.join(outdir, "app.html"));
