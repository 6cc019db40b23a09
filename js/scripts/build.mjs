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
  // Readable, not minified: a page author can step through it, and the
  // size (gzip on the wire) hardly changes.
  minify: false,
  sourcemap: false,
  legalComments: "inline",
  charset: "utf8",
  logLevel: "warning",
});
