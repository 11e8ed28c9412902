// Which DSFR icon style sheets the portal needs: the DSFR splits its icons (`fr-icon-…` classes)
// into families, one style sheet each; an icon whose family is not loaded shows as a plain
// square. build.mjs loads every family the sources use, found here; test/icons.test.mjs fails on
// an icon no family defines.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The `fr-icon-…` classes named in some source texts (not the size modifiers `fr-icon--sm`). */
export function iconClasses(texts) {
  const found = new Set();
  for (const text of texts) {
    for (const [name] of text.matchAll(/fr-icon-[a-z0-9]+(?:-[a-z0-9]+)*/g)) found.add(name);
  }
  return [...found].sort();
}

/** `{family: css}` of the DSFR's icon families (`system`, `design`…), from its `dist` folder. */
export function iconFamilies(dsfrDist) {
  const dir = join(dsfrDist, 'utility', 'icons');
  return Object.fromEntries(
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name.startsWith('icons-'))
      .map((entry) => {
        const family = entry.name.slice('icons-'.length);
        return [family, readFileSync(join(dir, entry.name, `${entry.name}.min.css`), 'utf8')];
      }),
  );
}

/** `{families, missing}`: the families defining `icons`, sorted, and the icons none defines. */
export function familiesFor(icons, families) {
  const needed = new Set();
  const missing = [];
  for (const icon of icons) {
    const pattern = new RegExp(`\\.${icon}(?::{1,2}before|:{1,2}after|[,{])`);
    const family = Object.keys(families).find((name) => pattern.test(families[name]));
    if (family) needed.add(family);
    else missing.push(icon);
  }
  return { families: [...needed].sort(), missing };
}
