// Bundles the client into one ES module for browsers: the file that
// `avacollab serve` ships at /client/avacollab.js.
//
//   node scripts/build.mjs [OUTFILE]
//
// The output must be byte-for-byte what the sources build (a Python test
// rebuilds it and compares), so nothing in it may depend on the machine, the
// time or the path: no source maps, no banner with a date, no absolute paths.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outfile = path.resolve(process.argv[2] ?? path.join(root, "..", "avacollab", "web", "avacollab.js"));

await build({
  absWorkingDir: root,
  entryPoints: ["src/index.js"],
  outfile,
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
});
