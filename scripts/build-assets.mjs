#!/usr/bin/env node
// Builds Medborg's front-end assets into medborg/web/static/build/.
//
//   npm ci && npm run build
//
// * Compiles medborg/web/scss/medborg.scss (DKFDS + our theme) to build/medborg.css.
//   The brand colour comes from the environment variable MEDBORG_BRAND_COLOUR
//   (default #005c8a) and must reach WCAG AA contrast (4.5:1) against white text.
// * Copies every file the compiled CSS points at (IBM Plex Sans fonts, DKFDS icons
//   and images) from node_modules/dkfds/src/ to build/dkfds/, keeping relative paths,
//   and fails if a url() in the CSS would not resolve.
// * Copies Leaflet (JS, CSS, source map, marker images) to build/leaflet/ and the
//   DKFDS SVG icon sprite to build/dkfds/img/all-svg-icons.svg.
//
// No network access, no CDN: everything comes from node_modules.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as sass from "sass";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NODE_MODULES = path.join(ROOT, "node_modules");
const SCSS_ENTRY = path.join(ROOT, "medborg", "web", "scss", "medborg.scss");
const OUT_DIR = path.join(ROOT, "medborg", "web", "static", "build");
const CSS_OUT = path.join(OUT_DIR, "medborg.css");

const DEFAULT_BRAND_COLOUR = "#005c8a";
const MIN_CONTRAST_WITH_WHITE = 4.5;

const DKFDS_SRC = path.join(NODE_MODULES, "dkfds", "src");
const LEAFLET_DIST = path.join(NODE_MODULES, "leaflet", "dist");

// Prefix (relative to build/medborg.css) under which the DKFDS src/ tree is mirrored.
const DKFDS_PREFIX = "dkfds/";

// Files copied whether or not the CSS refers to them: [from, to (relative to OUT_DIR)].
const FIXED_COPIES = [
  [path.join(LEAFLET_DIST, "leaflet.js"), "leaflet/leaflet.js"],
  // leaflet.js ends in a sourceMappingURL comment; Django's manifest storage
  // (collectstatic in production) fails if the map file is missing.
  [path.join(LEAFLET_DIST, "leaflet.js.map"), "leaflet/leaflet.js.map"],
  [path.join(LEAFLET_DIST, "leaflet.css"), "leaflet/leaflet.css"],
  ...["layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"].map(
    (name) => [path.join(LEAFLET_DIST, "images", name), `leaflet/images/${name}`],
  ),
  // SVG sprite for <svg class="icon-svg"><use href=".../all-svg-icons.svg#name"></use></svg>.
  [path.join(DKFDS_SRC, "img", "all-svg-icons.svg"), "dkfds/img/all-svg-icons.svg"],
];

// --- colour checks -------------------------------------------------------------------

function parseHexColour(value) {
  const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!match) {
    throw new Error(`MEDBORG_BRAND_COLOUR must be a hex colour like #005c8a, got "${value}"`);
  }
  let hex = match[1].toLowerCase();
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join("");
  return `#${hex}`;
}

function relativeLuminance(hex) {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrastRatio(hexA, hexB) {
  const [hi, lo] = [relativeLuminance(hexA), relativeLuminance(hexB)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}

// --- helpers -------------------------------------------------------------------------

function copyFile(from, relTo) {
  if (!fs.existsSync(from)) throw new Error(`missing source file ${path.relative(ROOT, from)}`);
  const to = path.join(OUT_DIR, relTo);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  return fs.statSync(to).size;
}

// Keep only woff2/woff sources in @font-face rules. DKFDS also lists an .eot
// (fetched first by browsers, then discarded) and a .ttf with a malformed
// format() hint for the regular weight; dropping them saves downloads and files.
function modernFontSources(css) {
  return css.replace(/@font-face\s*\{[^}]*\}/g, (rule) =>
    rule.replace(/src:([^;}]*)/, (_, list) => {
      const sources = list.split(/,(?=\s*(?:url|local)\()/).map((s) => s.trim());
      if (!sources.some((s) => s.startsWith("url("))) return `src:${list}`; // local() only
      const local = sources.filter((s) => s.startsWith("local("));
      const web = ["woff2", "woff"].flatMap((ext) =>
        sources.filter((s) => new RegExp(`\\.${ext}["']?\\)`).test(s)),
      );
      if (web.length === 0) throw new Error(`no woff/woff2 source in ${rule.slice(0, 120)}…`);
      return `src:${[...local, ...web].join(",")}`;
    }),
  );
}

function cssUrls(css) {
  const urls = new Set();
  for (const match of css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) urls.add(match[2]);
  return [...urls];
}

// --- build ---------------------------------------------------------------------------

function build() {
  for (const dir of [DKFDS_SRC, LEAFLET_DIST]) {
    if (!fs.existsSync(dir)) throw new Error(`${path.relative(ROOT, dir)} not found: run npm ci first`);
  }
  const brand = parseHexColour(process.env.MEDBORG_BRAND_COLOUR || DEFAULT_BRAND_COLOUR);
  const contrast = contrastRatio(brand, "#ffffff");
  if (contrast < MIN_CONTRAST_WITH_WHITE) {
    throw new Error(
      `brand colour ${brand} has contrast ${contrast.toFixed(2)}:1 with white text; ` +
        `WCAG AA needs at least ${MIN_CONTRAST_WITH_WHITE}:1 - choose a darker colour`,
    );
  }

  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  fs.mkdirSync(OUT_DIR, { recursive: true });

  // "medborg:brand" is a virtual module so that the colour never has to be
  // written into the source tree.
  const brandImporter = {
    canonicalize(url) {
      return url === "medborg:brand" ? new URL("medborg:brand") : null;
    },
    load() {
      return { contents: `$primary: ${brand};\n`, syntax: "scss" };
    },
  };

  const result = sass.compile(SCSS_ENTRY, {
    style: "compressed",
    loadPaths: [NODE_MODULES],
    importers: [brandImporter],
    quietDeps: true, // deprecation warnings inside node_modules are not ours to fix
    sourceMap: false,
  });

  const css = modernFontSources(result.css);

  // Mirror every DKFDS file the CSS refers to; any other relative url() is an error,
  // because it would 404 here and break collectstatic's manifest in production.
  let assetCount = 0;
  let assetBytes = 0;
  for (const url of cssUrls(css)) {
    if (/^(data:|#)/.test(url)) continue;
    const clean = url.split(/[?#]/)[0];
    if (!clean.startsWith(DKFDS_PREFIX) || clean.includes("..")) {
      throw new Error(`compiled CSS refers to ${url}, which the build does not provide`);
    }
    assetBytes += copyFile(path.join(DKFDS_SRC, clean.slice(DKFDS_PREFIX.length)), clean);
    assetCount += 1;
  }

  fs.writeFileSync(CSS_OUT, css);

  for (const [from, to] of FIXED_COPIES) {
    assetBytes += copyFile(from, to);
    assetCount += 1;
  }

  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(
    `medborg assets: build/medborg.css ${kib(css.length)} (brand ${brand}, ` +
      `contrast ${contrast.toFixed(2)}:1 with white) + ${assetCount} files ${kib(assetBytes)} ` +
      `-> ${path.relative(ROOT, OUT_DIR)}/`,
  );
}

try {
  build();
} catch (error) {
  console.error(`build-assets: ${error.message}`);
  process.exit(1);
}
