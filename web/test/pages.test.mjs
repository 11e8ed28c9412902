// The footer's pages: the accessibility status derived from the checklist (and the footer saying
// the same), the site map's links by visitor, and the DSFR icons the sources name.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CHECKLIST, conformance, footerLabel } from '../src/js/accessibility.js';
import { GROUPS, plan } from '../src/js/pages/info/sitemap.js';
import { ROUTES } from '../src/js/routes.js';
import { familiesFor, iconClasses, iconFamilies } from '../icons.mjs';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');

test('the conformance status follows the RGAA: all, at least half, or less than half of the criteria', () => {
  const item = (status) => ({ criterion: 'x', topic: 'x', status, finding: 'x' });
  assert.deepEqual(conformance([item('conforme'), item('non applicable')]), {
    rate: 100,
    label: 'totalement conforme',
  });
  assert.deepEqual(conformance([item('conforme'), item('non conforme')]), {
    rate: 50,
    label: 'partiellement conforme',
  });
  assert.deepEqual(conformance([item('conforme'), item('non conforme'), item('non conforme')]), {
    rate: 33,
    label: 'non conforme',
  });
  assert.equal(conformance([item('non applicable')]).label, 'non conforme', 'nothing checked, nothing claimed');
});

test('the checklist has a known non-conformity, so the portal says it is partially conformant', () => {
  assert.ok(CHECKLIST.some((i) => i.status === 'non conforme'));
  assert.equal(conformance().label, 'partiellement conforme');
  assert.equal(footerLabel(), 'Accessibilité\u00a0: partiellement conforme');
});

test('the footer of index.html shows the status the checklist gives, even without script', () => {
  const index = readFileSync(join(web, 'src', 'index.html'), 'utf8');
  const link = /<a[^>]*href="\/accessibilite"[^>]*>\s*([^<]*?)\s*<\/a/.exec(index);
  assert.ok(link, 'the footer links to the statement');
  assert.equal(link[1], footerLabel());
  for (const path of ['/plan-du-site', '/mentions-legales', '/donnees-personnelles', '/gestion-des-cookies', '/aide']) {
    assert.ok(index.includes(`href="${path}"`), `the footer links to ${path}`);
  }
});

test('the site map lists what a visitor may open: signed out, the public pages only', () => {
  const groups = plan(ROUTES, false);
  const paths = groups.flatMap((g) => g.links.map((l) => l.path));
  assert.ok(paths.includes('/connexion') && paths.includes('/accessibilite') && paths.includes('/aide'));
  assert.ok(!paths.includes('/teledossiers') && !paths.includes('/national/organisations'));
  assert.ok(!groups.some((g) => g.links.length === 0), 'no empty group');
});

test('the site map gives a signed-in person the pages their roles open, and no sign-in page', () => {
  const routes = [
    { path: '/connexion', title: 'Connexion', public: true, signedOut: true },
    { path: '/teledossiers', title: 'Télédossiers', allowed: () => true },
    { path: '/comptes', title: 'Gestion des comptes', allowed: () => false },
    { path: '/aide', title: 'Aide', public: true },
  ];
  assert.deepEqual(plan(routes, true), [
    { title: 'Télédossiers', links: [{ path: '/teledossiers', title: 'Télédossiers' }] },
    { title: 'Aide et informations', links: [{ path: '/aide', title: 'Aide' }] },
  ]);
});

test('every page of the site map is a route of the front', () => {
  const paths = new Set(ROUTES.map((r) => r.path));
  for (const group of GROUPS) for (const path of group.paths) assert.ok(paths.has(path), path);
});

/** Icons no DSFR family defines, named by modules other engineers own for now (account.js). */
const KNOWN_MISSING = new Set(['fr-icon-user-unfollow-line']);

test('every DSFR icon the sources name exists in a family the build loads', () => {
  const files = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
    );
  const sources = files(join(web, 'src'))
    .filter((p) => /\.(js|html)$/.test(p))
    .map((p) => readFileSync(p, 'utf8'));
  const icons = iconClasses(sources);
  assert.ok(icons.includes('fr-icon-edit-line'), '"Modifier le statut" names its icon');
  const { families, missing } = familiesFor(icons, iconFamilies(join(web, 'node_modules', '@gouvfr', 'dsfr', 'dist')));
  assert.ok(families.includes('design'), 'the family of fr-icon-edit-line is loaded');
  assert.deepEqual(
    missing.filter((icon) => !KNOWN_MISSING.has(icon)),
    [],
  );
});

test('icon classes are read from the sources, size modifiers left out', () => {
  assert.deepEqual(iconClasses(["class: 'fr-btn fr-icon-edit-line fr-icon--sm'", 'fr-icon-arrow-left-line']), [
    'fr-icon-arrow-left-line',
    'fr-icon-edit-line',
  ]);
});

test('an error summary names a field by its visible label, without hint or asterisk', async () => {
  const { labelOf } = await import('../src/js/ui/forms.js');
  const text = (value) => ({ nodeType: 3, textContent: value });
  const hint = { nodeType: 1, textContent: 'Avec l’indicatif du pays' };
  const field = (nodes) => ({ element: { querySelector: () => ({ childNodes: nodes }) } });
  assert.equal(labelOf(field([text('Téléphone principal'), text(' *'), hint])), 'Téléphone principal');
  assert.equal(labelOf(field([hint])), null, 'no text of its own: the caller falls back');
  assert.equal(labelOf(undefined), null);
});
