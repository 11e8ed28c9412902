// Builds the portal into dist/: the app's own files under /assets/<content hash>/, the DSFR
// (self-hosted, no CDN) under /dsfr/<version>/, and index.html pointing at both. Versioned paths
// let the hub cache them for a year (functions/local/src/web.rs); index.html is revalidated.
// No bundler: the browser loads the app's ES modules as they are. See docs/WEB.md.

import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { familiesFor, iconClasses, iconFamilies } from './icons.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const dsfrPackage = join(root, 'node_modules', '@gouvfr', 'dsfr');
const dsfrDist = join(dsfrPackage, 'dist');
const chartPackage = join(root, 'node_modules', '@gouvfr', 'dsfr-chart');
/** The State's chart components the statistics pages use (web components, one bundle each). */
const CHARTS = ['BarChart'];

/** Text files served precompressed (ServeDir picks the .br or .gz sibling). */
const COMPRESSED = new Set(['.html', '.js', '.css', '.json']);

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

function contentHash(paths) {
  const hash = createHash('sha256');
  for (const path of paths.sort()) {
    hash.update(relative(src, path));
    hash.update(readFileSync(path));
  }
  return hash.digest('hex').slice(0, 12);
}

/**
 * The DSFR icon families the app's classes (fr-icon-…) come from, found in its sources: an icon
 * of a family left out would show as a plain square. An icon no family defines is reported.
 */
function usedIconFamilies(sources) {
  const icons = iconClasses(sources.map((path) => readFileSync(path, 'utf8')));
  const { families, missing } = familiesFor(icons, iconFamilies(dsfrDist));
  if (missing.length > 0) console.warn(`web build: no DSFR icon is named ${missing.join(', ')}`);
  return families;
}

function copyDsfr(target, iconFamilyNames) {
  const copy = (from, to = from) => cpSync(join(dsfrDist, from), join(target, to), { recursive: true });
  copy('dsfr.min.css');
  copy('dsfr.module.min.js');
  copy('dsfr.nomodule.min.js');
  copy('fonts');
  copy('icons');
  copy('favicon');
  for (const family of iconFamilyNames) {
    copy(`utility/icons/icons-${family}/icons-${family}.min.css`);
  }
  cpSync(join(dsfrPackage, 'LICENSE.md'), join(target, 'LICENSE.md'));
}

/** The DSFR's chart components, self-hosted beside it under their own version. */
function copyCharts(target) {
  for (const chart of CHARTS) {
    for (const ext of ['js', 'css']) {
      cpSync(join(chartPackage, 'dist', chart, `${chart}.${ext}`), join(target, `${chart}.${ext}`));
    }
  }
  cpSync(join(chartPackage, 'LICENSE'), join(target, 'LICENSE'));
}

function precompress(dir) {
  for (const path of files(dir)) {
    if (!COMPRESSED.has(extname(path))) continue;
    const bytes = readFileSync(path);
    writeFileSync(`${path}.gz`, gzipSync(bytes, { level: 9 }));
    writeFileSync(`${path}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  }
}

function build() {
  let dsfrVersion;
  try {
    dsfrVersion = JSON.parse(readFileSync(join(dsfrPackage, 'package.json'), 'utf8')).version;
  } catch {
    throw new Error('@gouvfr/dsfr is not installed: run `npm ci` in web/ first');
  }
  let chartVersion;
  try {
    chartVersion = JSON.parse(readFileSync(join(chartPackage, 'package.json'), 'utf8')).version;
  } catch {
    throw new Error('@gouvfr/dsfr-chart is not installed: run `npm ci` in web/ first');
  }
  const appFiles = files(src).filter((path) => path !== join(src, 'index.html'));
  const assets = `/assets/${contentHash(appFiles)}`;
  const dsfr = `/dsfr/${dsfrVersion}`;
  // Under the DSFR's versioned path, so that it is cached as long as the DSFR is.
  const charts = `${dsfr}/chart/${chartVersion}`;

  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const families = usedIconFamilies(files(src).filter((path) => ['.js', '.html'].includes(extname(path))));
  copyDsfr(join(dist, dsfr), families);
  copyCharts(join(dist, charts));
  for (const path of appFiles) {
    cpSync(path, join(dist, assets, relative(src, path)));
  }
  const index = readFileSync(join(src, 'index.html'), 'utf8')
    .replaceAll(
      '%DSFR_ICONS%',
      families
        .map(
          (family) => `<link rel="stylesheet" href="${dsfr}/utility/icons/icons-${family}/icons-${family}.min.css" />`,
        )
        .join('\n    '),
    )
    .replaceAll('%DSFR_CHART%', charts)
    .replaceAll('%DSFR%', dsfr)
    .replaceAll('%ASSETS%', assets);
  if (/%[A-Z]+%/.test(index)) throw new Error('index.html has an unknown placeholder');
  writeFileSync(join(dist, 'index.html'), index);
  precompress(dist);

  const size = files(dist).reduce((total, path) => total + statSync(path).size, 0);
  console.log(
    `web/dist built: app ${assets}, DSFR ${dsfrVersion}, charts ${chartVersion}, ${(size / 1048576).toFixed(1)} MiB`,
  );
}

try {
  build();
} catch (error) {
  console.error(`web build failed: ${error.message}`);
  process.exit(1);
}
