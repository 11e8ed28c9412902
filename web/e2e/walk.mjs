// The portal end to end, in headless Chromium against a running local hub (web/e2e/run starts
// it): an administrator creates an agent, the agent activates the account from the e-mailed
// link, signs in with the e-mailed code and instructs dossiers deposited through the operator
// API; then the administrator puts a subscription in API mode and its credentials obtain a token.
// Every page of the walk goes through axe-core (no serious or critical violation), at 1280 and at
// 320 px wide. Prints `e2e: N passed, M failed` and exits non-zero on any failure.
//
// Environment: E2E_BASE_URL (the hub), E2E_DATA_DIR (its data directory: demo credentials and
// outbox), E2E_SCREENSHOTS=1 (writes docs/screenshots/: the inbox, a dossier, the accounts and
// the subscriptions, at 1280 and 375 px).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settled, violations } from './lib/axe.mjs';
import { walkInformationPages, walkLoadingAndSiteMap } from './lib/pages.mjs';
import { launch } from './lib/browser.mjs';
import { mailsSoFar, waitForMail } from './lib/mail.mjs';
import { depositDossier, setCaseStatus, token } from './lib/operator.mjs';
import { parseCsv } from './lib/csv.mjs';
import { entries } from './lib/zip.mjs';
import { isSiret } from '../src/js/national.js';

const base = process.env.E2E_BASE_URL;
const dataDir = process.env.E2E_DATA_DIR;
if (!base || !dataDir) {
  console.error('E2E_BASE_URL and E2E_DATA_DIR are required (web/e2e/run sets them)');
  process.exit(2);
}
const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const screenshots = process.env.E2E_SCREENSHOTS === '1' ? join(root, 'docs', 'screenshots') : null;
const samples = process.env.HUBEE_SAMPLES ?? join(root, '..', 'shared', 'samples');
/** Failure screenshots (gitignored). */
const output = join(root, 'web', 'e2e', 'output');

// ---------------------------------------------------------------------------------------------
// A small sequential runner: a failed step stops the walk (the next ones depend on it), the
// accessibility checks are results of their own and never stop it.
// ---------------------------------------------------------------------------------------------

const results = [];
let stopped = null;

async function step(name, run) {
  if (stopped) {
    results.push({ name, status: 'skipped' });
    console.log(`  - ${name} (skipped: ${stopped} failed)`);
    return;
  }
  const started = Date.now();
  try {
    await run();
    results.push({ name, status: 'passed' });
    console.log(`  ok ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, status: 'failed' });
    stopped = name;
    console.log(`  FAILED ${name}\n${String(error.stack ?? error).replace(/^/gm, '    ')}`);
    if (browser.problems.length)
      console.log(`    browser problems so far:\n      ${browser.problems.join('\n      ')}`);
    mkdirSync(output, { recursive: true });
    await page?.screenshot({ path: join(output, `failure-${results.length}.png`), fullPage: true }).catch(() => {});
  }
}

/** axe-core on the page as it is now, at the current width. */
async function accessible(name) {
  const found = await violations(page);
  const result = found.length === 0 ? 'passed' : 'failed';
  results.push({ name: `axe: ${name}`, status: result });
  if (found.length === 0) console.log(`  ok axe: ${name}`);
  else
    console.log(
      `  FAILED axe: ${name}\n${found.map((v) => `    ${v.impact} ${v.id}: ${v.help}\n      ${v.targets.join('\n      ')}`).join('\n')}`,
    );
  axeRuns.push(name);
}

/** The page fits a narrow screen (320 px unless said): nothing wider but the tables' own scroll. */
async function fitsNarrowScreen(name, width = 320) {
  const viewport = page.viewportSize();
  await page.setViewportSize({ width, height: 720 });
  await page.waitForTimeout(150);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  await accessible(`${name} at ${width} px`);
  await page.setViewportSize(viewport);
  assert.ok(overflow <= 0, `${name}: the page is ${overflow} px wider than a ${width} px screen`);
}

/**
 * Every action control of the page (buttons and button links of its main content) lies inside
 * the viewport at 1280 and 375 px: none needs a sideways scroll to be seen.
 */
async function actionsInView(name) {
  const viewport = page.viewportSize();
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(150);
    const outside = await page.evaluate(() => {
      const right = document.documentElement.clientWidth;
      // The DSFR's tab list scrolls sideways by design; a closed dialog is not on screen.
      return [...document.querySelectorAll('main a.fr-btn, main button')]
        .filter((e) => e.getClientRects().length > 0 && !e.closest('dialog') && !e.classList.contains('fr-tabs__tab'))
        .map((e) => ({ text: e.textContent.trim(), box: e.getBoundingClientRect() }))
        .filter(({ box }) => box.left < 0 || box.right > right)
        .map(({ text, box }) => `${text} (${Math.round(box.left)}–${Math.round(box.right)} px)`);
    });
    if (width === 375) await accessible(`${name} at 375 px`);
    assert.deepEqual(outside, [], `${name} at ${width} px: controls outside the screen`);
  }
  await page.setViewportSize(viewport);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** With E2E_SCREENSHOTS=1: the page as it is, whole, at 1280 px (`name.png`) and 375 px (`name-375.png`). */
async function screenshot(name) {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  const viewport = page.viewportSize();
  try {
    for (const [width, file] of [
      [1280, `${name}.png`],
      [375, `${name}-375.png`],
    ]) {
      await page.setViewportSize({ width, height: 900 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.mouse.move(0, 0);
      await settled(page);
      await page.screenshot({ path: join(screenshots, file), fullPage: true });
    }
  } finally {
    await page.setViewportSize(viewport);
  }
}

// ---------------------------------------------------------------------------------------------

const artefacts = mkdtempSync(join(tmpdir(), 'hubee-e2e-'));
const axeRuns = [];
const browser = await launch({ downloads: artefacts });
await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
let page = browser.context.pages()[0] ?? (await browser.context.newPage());
// Generous: CI machines are shared with Rust builds.
page.setDefaultTimeout(20_000);

/** What the steps kept in their own modules need of the walk. */
const walker = {
  step: (name, run) => step(name, run),
  page: () => page,
  accessible: (name) => accessible(name),
  fitsNarrowScreen: (name, width) => fitsNarrowScreen(name, width),
  base,
};

const run = Date.now().toString(36);
const credentials = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8'));
const secretOf = (id) => credentials.apiClients.find(([client]) => client === id)[1];
const passwordOf = (email) => credentials.accounts.find(([address]) => address === email)[1];
const ADMIN = 'admin@valfleuri.example';
const NATIONAL = 'national@hubee-demo.example';
const VALFLEURI = { companyRegister: '11001401600015', branchCode: '75108' };
const agent = { email: `ines.nouvel.${run}@valfleuri.example`, password: `Agent-${run}-2026!` };

const file = (name, type, mimeType) => ({
  fileName: name,
  type,
  mimeType,
  bytes: readFileSync(join(samples, 'CERTDC', name)),
});
// With an antivirus (HUBEE_CLAMD_ADDR, which web/e2e/run passes to the hub: scripts/test starts
// one), dossier A carries the EICAR test file too, which the hub rejects (docs/ANTIVIRUS.md).
const antivirus = Boolean(process.env.HUBEE_CLAMD_ADDR);
// With the ProConnect stand-in scripts/test starts (tests/oidc-provider), which web/e2e/run
// registers the hub with, the sign-in page shows its button; its users are agents of the Mairie
// de Valfleuri's SIRET.
const proconnect = process.env.HUBEE_TEST_PROCONNECT_ISSUER;
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
const infected = {
  fileName: 'analyse-virale.pdf',
  type: 'VA_CertificatdeDeces',
  mimeType: 'application/pdf',
  bytes: EICAR,
  rejected: true,
};
const dossiers = {};
const people = {
  A: { lastName: 'Lefèvre-Œuvray', firstName: 'Élodie' },
  B: { lastName: 'Marchand', firstName: 'Paul' },
  C: { lastName: 'Bernard', firstName: 'Lucie' },
  D: { lastName: 'Durand', firstName: 'Chloé' },
  E: { lastName: 'Petitjean', firstName: 'Hugo' },
};

async function signIn(email, password) {
  await page.goto(`${base}/connexion`);
  await page.getByRole('heading', { name: 'Connexion au Portail HubEE' }).waitFor();
  const seen = mailsSoFar(dataDir, email);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('heading', { name: 'Vérification de votre identité' }).waitFor();
  await page.getByText(`Saisissez le code envoyé à votre adresse électronique (${email})`).waitFor();
  const code = await waitForMail(dataDir, email, /mot de passe à usage unique.*?(\d{6})/s, { seen }).catch(() =>
    waitForMail(dataDir, email, /\b(\d{6})\b/, { seen }),
  );
  return code;
}

async function answerCode(code) {
  await page.getByLabel('Code de vérification').fill(code);
  await page.getByRole('button', { name: 'S’authentifier' }).click();
  await page.getByRole('button', { name: 'Se déconnecter' }).first().waitFor();
}

async function signOut() {
  await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
  await page.getByRole('heading', { name: 'Vous êtes déconnecté' }).waitFor();
}

const tabCount = async (label) => {
  const text = await page.getByRole('tab', { name: new RegExp(`^${label} \\(`) }).textContent();
  return Number(/\((\d+)\)/.exec(text)[1]);
};

/** The dossiers the inbox lists, once the list is no longer loading. */
async function rowsShown() {
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  await page.locator('#liste-teledossiers, .hubee-empty').first().waitFor();
  return page.locator('#liste-teledossiers tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.caseId));
}

async function searchInbox(text) {
  await page.getByRole('searchbox', { name: /Rechercher un télédossier/ }).fill(text);
  await page.getByRole('button', { name: 'Rechercher' }).click();
}

async function download(trigger) {
  const [file] = await Promise.all([page.waitForEvent('download'), trigger()]);
  const path = join(artefacts, `${Date.now()}-${file.suggestedFilename()}`);
  await file.saveAs(path);
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

/** Presses "Exporter (CSV)" and reads the file saved: `{name, header, rows}`. */
async function exportCsv() {
  const file = await download(() => page.getByRole('button', { name: 'Exporter (CSV)' }).click());
  return { name: file.name, ...parseCsv(file.bytes) };
}

async function expectBadge(text) {
  await page.locator('.hubee-status .fr-badge', { hasText: text }).waitFor();
}

async function changeStatus(action, reason) {
  await page.getByRole('button', { name: 'Modifier le statut' }).click();
  const dialog = page.getByRole('dialog', { name: 'Modifier le statut' });
  await dialog.waitFor();
  await settled(page); // the DSFR moves the focus into the dialog as it opens
  await choose(dialog.getByLabel(action));
  if (reason) await dialog.getByLabel('Motif').fill(reason);
  await accessible(`dialog "Modifier le statut" (${action})`);
  await dialog.getByRole('button', { name: 'Enregistrer le statut' }).click();
  await page.getByRole('heading', { name: 'Statut modifié' }).waitFor();
}

async function confirmReception() {
  const dialog = page.getByRole('dialog', { name: 'Confirmer la réception' });
  await dialog.waitFor();
  await settled(page); // the DSFR moves the focus into the dialog as it opens
  await dialog.getByRole('button', { name: 'Confirmer la réception' }).click();
  await page.getByRole('heading', { name: 'Réception confirmée' }).waitFor();
}

/** The history's text, its non-breaking spaces read as spaces. */
const historyText = async () => (await page.locator('.hubee-timeline').innerText()).replace(/\u00a0/g, ' ');

/** Ticks a checkbox or picks a radio button with the keyboard (Space), as keyboard-only users do. */
async function choose(control) {
  if (await control.isChecked()) return;
  await control.focus();
  await page.keyboard.press('Space');
  assert.ok(await control.isChecked(), 'the control is checked');
}

const select = (number) => choose(page.getByLabel(`Sélectionner le télédossier ${number}`));

// ---------------------------------------------------------------------------------------------

console.log(`e2e: walking ${base}`);

await step('the operator deposits five dossiers for the Mairie de Valfleuri through the API', async () => {
  const operator = await token(base, 'dgs-osl', secretOf('dgs-osl'), 'OSL');
  for (const [key, person] of Object.entries(people)) {
    const files =
      key === 'A'
        ? [
            file('ER20190860001_20190517_1512_DD.pdf', 'VA_CertificatdeDeces', 'application/pdf'),
            file('ER20190860001_20190517_1512_DD.xml', 'VA_CertificatdeDeces', 'application/xml'),
            ...(antivirus ? [infected] : []),
          ]
        : [file('ER20190860001_20190517_1512_VA.pdf', 'VA_CertificatdeDeces', 'application/pdf')];
    dossiers[key] = await depositDossier(base, operator, {
      processCode: 'CERTDC',
      number: `E2E-${run}-${key}-01`.toUpperCase(),
      applicant: person,
      recipient: VALFLEURI,
      files,
    });
  }
});

// A dossier retention archives during the walk, for the « Archivés » tab: the national team sets
// the archive delay of « Demande d'acte d'état civil » to 0 days, then its operator closes a
// dossier for the mairie. Retention runs every minute on the local hub; the agent, given that
// procedure later, finds it archived near the end of the walk.
const archived = { person: { lastName: 'Rousseau', firstName: 'Anne' } };
await step('the national team archives closed EtatCivil dossiers at once, and its operator closes one', async () => {
  await answerCode(await signIn(NATIONAL, passwordOf(NATIONAL)));
  await page.goto(`${base}/national/demarches/EtatCivil`);
  await page.getByRole('heading', { name: "Démarche EtatCivil - Demande d'acte d'état civil", level: 1 }).waitFor();
  await page.getByRole('textbox', { name: /^Archivage, en jours/ }).fill('0');
  await page.getByRole('button', { name: 'Enregistrer les modifications' }).click();
  await page.getByRole('heading', { name: 'Modifications enregistrées' }).waitFor();
  await page
    .locator('.hubee-details')
    .getByText(/Archivage\s: 0 jour après la clôture/)
    .waitFor();
  await signOut();
  const dila = await token(base, 'dila-osl', secretOf('dila-osl'), 'OSL');
  Object.assign(
    archived,
    await depositDossier(base, dila, {
      processCode: 'EtatCivil',
      number: `E2E-${run}-ARC-01`.toUpperCase(),
      applicant: archived.person,
      recipient: VALFLEURI,
      files: [file('ER20190860001_20190517_1512_VA.pdf', 'PJ', 'application/pdf')],
    }),
  );
  await setCaseStatus(base, dila, archived.caseId, 'CLOSED');
});

await step('the sign-in page has the DSFR header, skip links and footer, and works with the keyboard', async () => {
  await page.goto(`${base}/connexion`);
  await page.getByRole('heading', { name: 'Connexion au Portail HubEE' }).waitFor();
  await page.getByRole('banner').getByText('Portail HubEE').waitFor();
  await page.getByRole('contentinfo').waitFor();
  await page.keyboard.press('Tab');
  assert.equal(
    await page.evaluate(() => document.activeElement.textContent),
    'Contenu',
    'the first Tab reaches the skip link',
  );
  await page.keyboard.press('Enter');
  assert.ok(
    await page.evaluate(() => Boolean(document.activeElement.closest('#contenu'))),
    'the skip link moves the focus to the content',
  );
  await page.keyboard.press('Tab');
  if (proconnect) {
    const focused = await page.evaluate(() => document.activeElement.textContent);
    assert.match(focused, /S’identifier avec\s*ProConnect/, 'the next Tab reaches the ProConnect button');
    await page.keyboard.press('Tab'); // « Qu’est-ce que ProConnect ? »
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.evaluate(() => document.activeElement.name), 'email', 'the next Tab reaches the first field');
  await accessible('sign-in');
  await fitsNarrowScreen('sign-in');
});

await walkInformationPages(walker);

await step('a wrong password is refused in French', async () => {
  await page.getByLabel('Adresse électronique').fill(ADMIN);
  await page.locator('input[name="password"]').fill('Pas-le-bon-1!');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByText('Adresse électronique ou mot de passe incorrect').first().waitFor();
});

let adminPassword = passwordOf(ADMIN);
await step('"Mot de passe oublié ?" e-mails a reset link, which sets a new password', async () => {
  await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
  await page.getByRole('heading', { name: 'Mot de passe oublié ?' }).waitFor();
  await accessible('Mot de passe oublié');
  const seen = mailsSoFar(dataDir, ADMIN);
  await page.getByLabel('Adresse électronique').fill(ADMIN);
  await page.getByRole('button', { name: 'Réinitialiser mon mot de passe' }).click();
  await page.getByRole('heading', { name: 'Demande enregistrée' }).waitFor();
  const link = await waitForMail(dataDir, ADMIN, /(https?:\/\/\S+\/mot-de-passe\?token=\S+)/, { seen });
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choisir un nouveau mot de passe' }).waitFor();
  await accessible('Choisir un nouveau mot de passe');
  adminPassword = `Admin-${run}-2026!`;
  await page.getByLabel('Nouveau mot de passe').fill(adminPassword);
  await page.getByLabel('Confirmation du mot de passe').fill(adminPassword);
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await page.getByRole('heading', { name: 'Votre mot de passe est enregistré' }).waitFor();
});

await step('the administrator asks for a new code, and signs in with it: the first one is void', async () => {
  const first = await signIn(ADMIN, adminPassword);
  await accessible('Vérification de votre identité');
  const seen = mailsSoFar(dataDir, ADMIN);
  await page.getByRole('button', { name: 'Renvoyer le code' }).click();
  await page.getByRole('heading', { name: 'Nouveau code envoyé' }).waitFor();
  await accessible('Vérification de votre identité, a new code sent');
  const code = await waitForMail(dataDir, ADMIN, /mot de passe à usage unique.*?(\d{6})/s, { seen });
  if (first !== code) {
    await page.getByLabel('Code de vérification').fill(first);
    await page.getByRole('button', { name: 'S’authentifier' }).click();
    await page.getByText('Code incorrect : il vous reste 4 essais.').first().waitFor();
  }
  await answerCode(code);
  await page.waitForURL(`${base}/comptes`);
  await page.getByRole('heading', { name: 'Gestion des comptes' }).waitFor();
  await page.getByRole('rowheader', { name: 'Martin' }).waitFor();
  // Two people may share a name: the list shows each address; and the guide's advice while the
  // mairie has a single local administrator.
  await page.getByRole('columnheader', { name: 'Adresse électronique' }).waitFor();
  await page.getByRole('cell', { name: ADMIN }).waitFor();
  await page
    .getByText('Pensez à créer 2 comptes d’administrateurs locaux, a minima pour gérer les absences.')
    .waitFor();
  await accessible('Gestion des comptes');
  await fitsNarrowScreen('Gestion des comptes');
  await screenshot('accounts');
});

await step('the administrator creates an agent with a habilitation (the button waits for valid fields)', async () => {
  await page.getByRole('link', { name: 'Ajouter un utilisateur' }).click();
  await page.getByRole('heading', { name: 'Création d’un nouveau compte utilisateur' }).waitFor();
  const add = page.getByRole('button', { name: 'Ajouter l’utilisateur' });
  assert.ok(await add.isDisabled(), 'the button is disabled while mandatory fields are empty');
  await page.getByLabel('Type d’acteur').selectOption('AGENT');
  await choose(page.getByLabel('Certificat de décès électronique (CERTDC)'));
  await page.getByLabel('Adresse électronique').fill(agent.email);
  await choose(page.getByLabel('Madame'));
  await page.getByRole('textbox', { name: 'Prénom *', exact: true }).fill('Inès');
  await page.getByRole('textbox', { name: 'Nom *', exact: true }).fill('Nouvel');
  await page.getByLabel('Fonction').fill("Officière d'état civil");
  const phone = page.getByLabel('Téléphone principal');
  await phone.fill('+33 0612345678');
  await phone.blur();
  await page.getByText('Numéro invalide. Un numéro français').first().waitFor();
  assert.ok(await add.isDisabled(), 'a phone with the national 0 after +33 keeps the button disabled');
  await accessible('new account form with an error');
  await fitsNarrowScreen('new account form');
  // As people write it: stored as +33612345678.
  await phone.fill('06.12.34.56.78');
  await phone.blur();
  assert.ok(await add.isEnabled(), 'the button is enabled once the mandatory fields are valid');
  await add.click();
  await page.getByRole('heading', { name: 'Compte créé' }).waitFor();
  await page.getByRole('heading', { name: 'Compte utilisateur - Inès Nouvel' }).waitFor();
  assert.ok(await page.getByLabel('Certificat de décès électronique (CERTDC)').isChecked(), 'the habilitation is kept');
  assert.ok(await page.getByLabel('Gestion des télédossiers').isChecked(), "the agent's default role");
  assert.equal(await page.getByLabel('Téléphone principal').inputValue(), '+33612345678', 'stored in E.164');
  await accessible('Compte utilisateur');
  await signOut();
});

await step('the agent activates the account from the e-mailed link (the password rule is explained)', async () => {
  const link = await waitForMail(dataDir, agent.email, /(https?:\/\/\S+\/activation\?token=\S+)/);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Activer votre compte' }).waitFor();
  await accessible('activation');
  await page.getByLabel('Nouveau mot de passe').fill('faible');
  await page.getByLabel('Confirmation du mot de passe').fill('faible');
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await page.getByText('Il manque : 8 caractères minimum.').first().waitFor();
  await accessible('activation with errors');
  await page.getByLabel('Nouveau mot de passe').fill(agent.password);
  await page.getByLabel('Confirmation du mot de passe').fill(agent.password);
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await page.getByRole('heading', { name: 'Votre compte est activé' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/connexion');
});

const before = {};
await step('the agent signs in and lands on the inbox, whose tabs count the new dossiers', async () => {
  const code = await signIn(agent.email, agent.password);
  await answerCode(code);
  await page.waitForURL(`${base}/teledossiers`);
  await page.getByRole('heading', { name: 'Télédossiers' }).waitFor();
  for (const tab of ['Tous', 'Nouveaux', 'Reçus', 'Refusés', 'Traités']) before[tab] = await tabCount(tab);
  assert.equal(before.Nouveaux, Object.keys(dossiers).length);
  assert.equal((await rowsShown()).length, Object.keys(dossiers).length);
  await accessible('Télédossiers');
  await fitsNarrowScreen('Télédossiers');
});

await step('the agent finds a dossier by name, without accents or case', async () => {
  await searchInbox('lefevre oe');
  await page.waitForURL(/recherche=lefevre/);
  assert.deepEqual(await rowsShown(), [dossiers.A.caseId]);
  await page.getByRole('button', { name: 'Réinitialiser' }).click();
  await page.waitForURL(`${base}/teledossiers`);
});

await step('the procedure filter and the transmission period narrow the list, "Réinitialiser" widens it', async () => {
  const tomorrow = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(
    new Date(Date.now() + 86_400_000),
  );
  await page.getByLabel('Filtrer par démarche').selectOption('CERTDC');
  await page.getByLabel('Début de période de transmission').fill(tomorrow);
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.getByText('Aucun télédossier ne correspond à votre recherche.').waitFor();
  assert.match(page.url(), /demarche=CERTDC/);
  await page.getByLabel('Début de période de transmission').fill('');
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.waitForFunction(
    (n) => document.querySelectorAll('#liste-teledossiers tbody tr').length === n,
    Object.keys(dossiers).length,
  );
  await page.getByRole('button', { name: 'Réinitialiser' }).click();
  await page.waitForURL(`${base}/teledossiers`);
  assert.equal(await page.getByLabel('Filtrer par démarche').inputValue(), '');
});

await step('an exact dossier number goes straight to the dossier, which asks to confirm its reception', async () => {
  await searchInbox(dossiers.A.number.toLowerCase());
  await page.waitForURL(`${base}/dossiers/${dossiers.A.caseId}`);
  const dialog = page.getByRole('dialog', { name: 'Confirmer la réception' });
  await dialog.waitFor();
  await settled(page); // the DSFR moves the focus into the dialog as it opens
  await dialog.getByText('En consultant le télédossier vous confirmez sa réception').waitFor();
  assert.ok(await page.evaluate(() => Boolean(document.activeElement.closest('dialog'))), 'the focus is in the dialog');
  await accessible('dialog "Confirmer la réception"');
  await confirmReception();
  await expectBadge('Reçu');
});

await step('the dossier shows the person concerned, the dates and each file with its size', async () => {
  await page.getByRole('heading', { name: 'Personne concernée' }).waitFor();
  await page.getByText('LEFÈVRE-ŒUVRAY Élodie').waitFor();
  await page.getByText('Transmis le').first().waitFor();
  for (const f of dossiers.A.files) {
    const item = page.locator('.hubee-files__item', { hasText: f.fileName });
    const n = f.bytes.length;
    const shown = n < 1024 ? `${n} o` : `${(n / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 2 })} ko`;
    await item.getByText(shown, { exact: false }).waitFor();
  }
  await accessible('dossier');
  await fitsNarrowScreen('dossier');
});

await step('a file the antivirus rejected is listed with its badge, without a download button', async () => {
  if (!antivirus) {
    console.log('    (no antivirus: HUBEE_CLAMD_ADDR unset, nothing rejected to show)');
    return;
  }
  const item = page.locator('.hubee-files__item', { hasText: infected.fileName });
  await item.locator('.fr-badge', { hasText: 'Rejeté par l’antivirus' }).waitFor();
  assert.equal(await item.getByRole('button').count(), 0, 'no download button for a rejected file');
  await page.getByRole('button', { name: `Télécharger ${dossiers.A.files[0].fileName}` }).waitFor();
  await page
    .locator('.hubee-timeline', { hasText: `Fichier « ${infected.fileName} » rejeté par l’antivirus` })
    .waitFor();
  await accessible('dossier with a file rejected by the antivirus');
});

await step(
  '"Télécharger tous les éléments" gives a zip whose manifest matches the deposited files, and the dossier is En cours',
  async () => {
    const zip = await download(() => page.getByRole('button', { name: 'Télécharger tous les éléments' }).click());
    const inside = entries(zip.bytes);
    const manifest = inside
      .find((e) => e.name === 'manifest.csv')
      .data.toString('utf8')
      .trim()
      .split('\n');
    assert.equal(manifest[0], 'fichier;taille;sha256');
    // A file the antivirus rejected is never in a zip.
    const served = dossiers.A.files.filter((f) => !f.rejected);
    const expected = served.map((f) => `${f.fileName};${f.bytes.length};${sha256(f.bytes)}`).sort();
    assert.deepEqual(manifest.slice(1).sort(), expected);
    for (const f of served) {
      assert.equal(sha256(inside.find((e) => e.name === f.fileName).data), sha256(f.bytes), `${f.fileName} in the zip`);
    }
    await expectBadge('En cours');
  },
);

await step('one file downloads on its own, byte for byte', async () => {
  const wanted = dossiers.A.files[1];
  const got = await download(() => page.getByRole('button', { name: `Télécharger ${wanted.fileName}` }).click());
  assert.equal(got.name, wanted.fileName);
  assert.equal(sha256(got.bytes), sha256(wanted.bytes));
});

await step('a comment over 1,000 characters is counted and refused, never cut', async () => {
  const long = `${'Relecture complète des pièces. '.repeat(34)}fin`;
  assert.ok(long.length > 1000);
  const field = page.getByLabel('Ajout d’un nouveau commentaire');
  await field.fill(long);
  await page.getByText(`${long.length} caractères sur 1000 : raccourcissez le texte`).waitFor();
  await page.getByRole('button', { name: 'Ajouter le commentaire' }).click();
  await page.getByText('Le texte dépasse 1000 caractères : raccourcissez-le.').first().waitFor();
  assert.equal((await field.inputValue()).length, long.length, 'the text is kept whole');
  await accessible('dossier, comment too long');
  await field.fill('');
});

await step('the agent comments, deposits an attachment, and both show in the history', async () => {
  const comment = `Pièces vérifiées par l'état civil (${run})`;
  await page.getByLabel('Ajout d’un nouveau commentaire').fill(comment);
  await page.getByRole('button', { name: 'Ajouter le commentaire' }).click();
  await page.getByRole('heading', { name: 'Commentaire ajouté' }).waitFor();
  await page.locator('.hubee-timeline', { hasText: comment }).waitFor();
  // Without a file: a French field error, named after the field.
  await page.getByRole('button', { name: 'Déposer le fichier' }).click();
  await page.getByText('Pièce jointe : Choisissez un fichier.').waitFor();
  await page
    .getByLabel('Déposer une pièce jointe')
    .setInputFiles({ name: 'réponse-mairie.txt', mimeType: 'text/plain', buffer: Buffer.from(`Réponse ${run}\n`) });
  await page.getByRole('button', { name: 'Déposer le fichier' }).click();
  await page.getByRole('heading', { name: 'Pièce jointe déposée' }).waitFor();
  await page.locator('.hubee-files__item', { hasText: 'réponse-mairie.txt' }).waitFor();
  await page.locator('.hubee-timeline', { hasText: 'Dépôt de pièce jointe' }).waitFor();
});

await step('the agent takes the dossier ("Me l\'attribuer"), which says so and records it', async () => {
  await page.getByRole('button', { name: 'Me l’attribuer' }).click();
  await page.getByRole('heading', { name: /^Télédossier suivi par / }).waitFor();
  await page.locator('[data-assignee]', { hasText: '(vous)' }).waitFor();
  await page.locator('.hubee-timeline', { hasText: 'Télédossier pris en charge par' }).waitFor();
  await page.getByRole('button', { name: 'Ne plus suivre' }).waitFor();
  await accessible('dossier taken by the agent');
});

await step('the agent sends the operator a message, which the history shows', async () => {
  const message = `Dossier complet, instruction en cours (${run})`;
  await page.getByLabel('Message à l’opérateur').fill(message);
  await page.getByRole('button', { name: 'Envoyer le message' }).click();
  await page.getByRole('heading', { name: 'Message envoyé' }).waitFor();
  await page.locator('.hubee-timeline', { hasText: 'Message envoyé à l’opérateur' }).waitFor();
  await page.locator('.hubee-timeline', { hasText: message }).waitFor();
});

await step('the print view holds the files with their SHA-256, without buttons or forms', async () => {
  await page.getByRole('button', { name: 'Imprimer' }).waitFor();
  await page.emulateMedia({ media: 'print' });
  try {
    const served = dossiers.A.files.filter((f) => !f.rejected);
    for (const f of served) await page.getByText(`SHA-256 : ${sha256(f.bytes)}`).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Imprimer' }).isVisible(), false, 'no button on paper');
    assert.equal(await page.getByLabel('Ajout d’un nouveau commentaire').isVisible(), false, 'no form on paper');
    assert.ok(await page.locator('.hubee-timeline').isVisible(), 'the history on paper');
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
  assert.equal(
    await page
      .getByText(/^SHA-256 : /)
      .first()
      .isVisible(),
    false,
    'digests only on paper',
  );
});

await step('the agent finishes the dossier: Traité, in the history', async () => {
  await changeStatus('Finaliser le traitement');
  await expectBadge('Traité');
  const history = await historyText();
  assert.match(history, /Statut modifié de « En cours » à « Traité »/);
  assert.match(history, /Statut modifié de « Nouveau » à « Reçu »/);
  await screenshot('dossier');
});

await step('the agent refuses another dossier with a reason: Refusé, with the reason in the history', async () => {
  await page.getByRole('link', { name: 'Retour à la recherche' }).click();
  await page.waitForURL(/\/teledossiers\?recherche=/);
  assert.deepEqual(await rowsShown(), [dossiers.A.caseId], 'back to the search that found the dossier');
  await page.getByRole('button', { name: 'Réinitialiser' }).click();
  await page.waitForURL(`${base}/teledossiers`);
  assert.equal((await rowsShown()).length, Object.keys(dossiers).length);
  await page.getByRole('link', { name: `Consulter le télédossier ${dossiers.B.number}` }).click();
  await page.waitForURL(`${base}/dossiers/${dossiers.B.caseId}`);
  await confirmReception();
  const reason = 'La demande ne concerne pas la commune de Valfleuri';
  await page.getByRole('button', { name: 'Modifier le statut' }).click();
  const dialog = page.getByRole('dialog', { name: 'Modifier le statut' });
  await dialog.waitFor();
  await settled(page); // the DSFR moves the focus into the dialog as it opens
  await choose(dialog.getByLabel('Refuser'));
  await dialog.getByRole('button', { name: 'Enregistrer le statut' }).click();
  await dialog.getByText('Indiquez le motif du refus.').first().waitFor();
  await accessible('dialog "Modifier le statut" with an error');
  await dialog.getByLabel('Motif').fill(reason);
  await dialog.getByRole('button', { name: 'Enregistrer le statut' }).click();
  await page.getByRole('heading', { name: 'Statut modifié' }).waitFor();
  await expectBadge('Refusé');
  const history = await historyText();
  assert.match(history, /Statut modifié de « Reçu » à « Refusé »/);
  assert.ok(history.includes(`Motif : ${reason}`), 'the reason is in the history');
});

await step('both changes show in the tab counts', async () => {
  await page.getByRole('link', { name: 'Télédossiers', exact: true }).first().click();
  await page.getByRole('heading', { name: 'Télédossiers' }).waitFor();
  await page.waitForFunction(() => /Traités \(\d+\)/.test(document.querySelector('[role=tablist]')?.textContent ?? ''));
  assert.equal(await tabCount('Nouveaux'), before.Nouveaux - 2);
  assert.equal(await tabCount('Traités'), before.Traités + 1);
  assert.equal(await tabCount('Refusés'), before.Refusés + 1);
  assert.equal(await tabCount('Tous'), before.Tous);
  await page.getByRole('tab', { name: /^Refusés/ }).click();
  await page.waitForURL(/statut=REFUSE/);
  await page.waitForFunction(() => document.querySelectorAll('#liste-teledossiers tbody tr').length === 1);
  assert.deepEqual(await rowsShown(), [dossiers.B.caseId]);
  await accessible('Télédossiers, tab Refusés');
  await page.getByRole('tab', { name: /^Tous/ }).click();
  await page.waitForURL(`${base}/teledossiers`);
  await page.waitForFunction(
    (n) => document.querySelectorAll('#liste-teledossiers tbody tr').length === n,
    Object.keys(dossiers).length,
  );
});

await step(
  'the inbox lists the dossiers the agent follows under « Mes télédossiers », with who follows each',
  async () => {
    const row = page.locator(`tr[data-case-id="${dossiers.A.caseId}"]`);
    await row.getByText(/^Suivi par /).waitFor();
    assert.equal(await tabCount('Mes télédossiers'), 1);
    await page.getByRole('tab', { name: /^Mes télédossiers/ }).click();
    await page.waitForURL(/statut=MES/);
    await page.waitForFunction(() => document.querySelectorAll('#liste-teledossiers tbody tr').length === 1);
    assert.deepEqual(await rowsShown(), [dossiers.A.caseId]);
    await accessible('Télédossiers, tab Mes télédossiers');
    await page.getByRole('tab', { name: /^Tous/ }).click();
    await page.waitForURL(`${base}/teledossiers`);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#liste-teledossiers tbody tr').length === n,
      Object.keys(dossiers).length,
    );
  },
);

await step('the inbox sorts by name both ways, and a half-typed date is refused with a hint', async () => {
  const byName = Object.keys(dossiers)
    .sort((a, b) => people[a].lastName.localeCompare(people[b].lastName, 'fr', { sensitivity: 'base' }))
    .map((key) => dossiers[key].caseId);
  await page.getByLabel('Trier par').selectOption('name-asc');
  await page.waitForURL(/tri=name-asc/);
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  assert.deepEqual(await rowsShown(), byName);
  await page.getByLabel('Trier par').selectOption('name-desc');
  await page.waitForURL(/tri=name-desc/);
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  assert.deepEqual(await rowsShown(), byName.slice().reverse());
  await page.getByText('Format : jj/mm/aaaa').first().waitFor();
  const start = page.getByLabel('Début de période de transmission');
  await start.focus();
  await page.keyboard.type('12');
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.getByText('Cette date est incomplète').first().waitFor();
  await accessible('Télédossiers, a half-typed date');
  await page.getByRole('button', { name: 'Réinitialiser' }).click();
  await page.waitForURL(`${base}/teledossiers`);
  await rowsShown();
});

await step('every action of the inbox and of a dossier is in view at 1280 px and at 375 px', async () => {
  await rowsShown();
  await actionsInView('Télédossiers');
  await page.getByRole('link', { name: `Consulter le télédossier ${dossiers.A.number}` }).click();
  await page.waitForURL(`${base}/dossiers/${dossiers.A.caseId}`);
  await page.getByRole('heading', { name: 'Historique' }).waitFor();
  await actionsInView('dossier');
  await page.getByRole('link', { name: 'Télédossiers', exact: true }).first().click();
  await page.getByRole('heading', { name: 'Télédossiers' }).waitFor();
  await rowsShown();
});

await step('the inbox exports every dossier of its tab and search as a CSV file', async () => {
  const all = await exportCsv();
  assert.match(all.name, /^teledossiers-\d{4}-\d{2}-\d{2}\.csv$/);
  assert.deepEqual(all.header, [
    'N° de télédossier',
    'Démarche',
    'Code démarche',
    'Statut',
    'Personne concernée',
    'Transmis le',
    'Mis à jour le',
  ]);
  assert.equal(all.rows.length, await tabCount('Tous'));
  for (const [key, d] of Object.entries(dossiers)) {
    const row = all.rows.find((r) => r['N° de télédossier'] === d.number);
    assert.ok(row, `dossier ${key} is exported`);
    const person = people[key];
    assert.equal(row['Personne concernée'], `${person.lastName.toLocaleUpperCase('fr-FR')} ${person.firstName}`);
  }
  assert.equal(all.rows.find((r) => r['N° de télédossier'] === dossiers.B.number).Statut, 'Refusé');

  await page.getByRole('tab', { name: /^Refusés/ }).click();
  await page.waitForURL(/statut=REFUSE/);
  await page.waitForFunction(() => document.querySelectorAll('#liste-teledossiers tbody tr').length === 1);
  const refused = await exportCsv();
  assert.deepEqual(
    refused.rows.map((r) => [r['N° de télédossier'], r.Statut]),
    [[dossiers.B.number, 'Refusé']],
  );
  await page.getByRole('tab', { name: /^Tous/ }).click();
  await page.waitForURL(`${base}/teledossiers`);
  await searchInbox('durand');
  await page.waitForURL(/recherche=durand/);
  await page.waitForFunction(() => document.querySelectorAll('#liste-teledossiers tbody tr').length === 1);
  const found = await exportCsv();
  assert.deepEqual(
    found.rows.map((r) => r['N° de télédossier']),
    [dossiers.D.number],
  );
  await page.getByRole('button', { name: 'Réinitialiser' }).click();
  await page.waitForURL(`${base}/teledossiers`);
  await page.waitForFunction(
    (n) => document.querySelectorAll('#liste-teledossiers tbody tr').length === n,
    Object.keys(dossiers).length,
  );
});

await step('a bulk action on three dossiers reports each result', async () => {
  for (const key of ['C', 'D', 'B']) await select(dossiers[key].number);
  await page.getByText('3 télédossiers sélectionnés').waitFor();
  await page.getByRole('button', { name: 'Accuser réception' }).click();
  const summary = page.locator('[data-bulk-result]');
  await summary.getByRole('heading', { name: 'Accuser réception : 2 réussis sur 3' }).waitFor();
  const text = (await summary.innerText()).replace(/\u00a0/g, ' ');
  for (const key of ['C', 'D'])
    assert.ok(text.includes(`N° ${dossiers[key].number} : réussi, statut « Reçu »`), `${key} succeeded`);
  assert.ok(
    text.includes(
      `N° ${dossiers.B.number} : échec — Action « Accuser réception » impossible sur un télédossier au statut « Refusé »`,
    ),
    `B failed, in French: ${text}`,
  );
  await page.waitForFunction(() => /Reçus \(2\)/.test(document.querySelector('[role=tablist]')?.textContent ?? ''));
  await accessible('Télédossiers with a bulk result');
  await screenshot('inbox');
});

await step('several dossiers download as one zip, a folder per dossier', async () => {
  for (const key of ['C', 'D']) await select(dossiers[key].number);
  const zip = await download(() => page.getByRole('button', { name: 'Télécharger', exact: true }).click());
  // The list is read again after the download: let it finish before going on.
  await page.getByRole('heading', { name: 'Téléchargement', exact: true }).waitFor();
  await rowsShown();
  const names = entries(zip.bytes).map((e) => e.name);
  for (const key of ['C', 'D']) {
    assert.ok(
      names.some((n) => n.startsWith(`${dossiers[key].number}/`)),
      `a folder for ${key}: ${names.join(', ')}`,
    );
  }
});

await step('an expired session sends back to sign-in with a message, and sign-in returns to the page', async () => {
  await browser.context.clearCookies();
  await page.getByRole('link', { name: `Consulter le télédossier ${dossiers.E.number}` }).click();
  await page.getByRole('heading', { name: 'Votre session a expiré' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/connexion');
  await accessible('sign-in after an expired session');
  const seen = mailsSoFar(dataDir, agent.email);
  await page.getByLabel('Adresse électronique').fill(agent.email);
  await page.locator('input[name="password"]').fill(agent.password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await answerCode(await waitForMail(dataDir, agent.email, /\b(\d{6})\b/, { seen }));
  await page.waitForURL(`${base}/dossiers/${dossiers.E.caseId}`);
  await page.getByRole('dialog', { name: 'Confirmer la réception' }).getByRole('button', { name: 'Annuler' }).click();
  await page.waitForURL(/\/teledossiers/);
  await signOut();
});

const apiMode = {};
await step('the administrator activates a subscription from a date chosen in the calendar', async () => {
  await answerCode(await signIn(ADMIN, adminPassword));
  await page.getByRole('link', { name: 'Gestion des abonnements' }).first().click();
  await page.getByRole('heading', { name: 'Gestion des abonnements' }).waitFor();
  await accessible('Gestion des abonnements');
  await fitsNarrowScreen('Gestion des abonnements');
  // Each procedure says what it is and the texts it rests on; "Modifier" is never off screen.
  await page.getByText('Cadre juridique : Code civil, articles 34 à 54').waitFor();
  await actionsInView('Gestion des abonnements');
  await screenshot('subscriptions');
  await page.getByRole('link', { name: 'Modifier l’abonnement EtatCivil' }).click();
  await page.getByRole('heading', { name: "Abonnement - Demande d'acte d'état civil" }).waitFor();
  await accessible('Abonnement');
  await fitsNarrowScreen('Abonnement');
  await page.getByRole('button', { name: 'Modifier la date d’activation' }).click();
  const dialog = page.getByRole('dialog', { name: 'Activer l’abonnement' });
  await dialog.waitFor();
  await settled(page); // the DSFR moves the focus into the dialog as it opens
  const today = await dialog.getByLabel('Date d’activation').inputValue();
  assert.match(today, /^\d{4}-\d{2}-\d{2}$/, "today's date is proposed");
  // A day in the past is refused: dossiers cannot have arrived from then.
  await dialog.getByLabel('Date d’activation').fill('2020-01-01');
  await dialog.getByRole('button', { name: 'Activer', exact: true }).click();
  await dialog.getByText('La date d’activation ne peut pas être passée').first().waitFor();
  await accessible('dialog "Activer l\'abonnement" with a date in the past');
  await dialog.getByLabel('Date d’activation').fill(today);
  await accessible('dialog "Activer l\'abonnement"');
  await dialog.getByRole('button', { name: 'Activer', exact: true }).click();
  await page.getByRole('heading', { name: 'Abonnement activé' }).waitFor();
  await page.locator('.hubee-details', { hasText: 'Statut' }).getByText('Actif').waitFor();
});

await step('in API mode the credentials are shown once, copied, and obtain a token', async () => {
  await choose(page.getByLabel('API', { exact: true }));
  await page.getByRole('button', { name: 'Enregistrer la modalité d’accès' }).click();
  await page.getByRole('heading', { name: 'Identifiants de l’API\u00a0: copiez-les maintenant' }).waitFor();
  apiMode.clientId = await page.locator('[data-credential="client_id"]').inputValue();
  await page.getByRole('button', { name: 'Copier : Secret (client_secret)' }).click();
  apiMode.secret = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(
    apiMode.secret,
    await page.locator('[data-credential="client_secret"]').inputValue(),
    'the copied secret',
  );
  assert.match(apiMode.clientId, /^si-11001401600015-75108-etatcivil$/);
  await accessible('Abonnement with the API credentials');
  assert.ok(await token(base, apiMode.clientId, apiMode.secret, 'SI'), 'the credentials obtain a token');
  await page.reload();
  await page.getByRole('heading', { name: "Abonnement - Demande d'acte d'état civil" }).waitFor();
  assert.equal(await page.locator('[data-credentials]').count(), 0, 'the secret is not shown again');
  await page.getByText(apiMode.clientId).first().waitFor();
});

await step('a regenerated secret is shown once and obtains a token too', async () => {
  await page.getByRole('button', { name: 'Régénérer le secret' }).click();
  const dialog = page.getByRole('dialog', { name: 'Régénérer le secret' });
  await dialog.waitFor();
  await settled(page);
  await dialog.getByRole('button', { name: 'Régénérer le secret' }).click();
  await page.getByRole('heading', { name: 'Identifiants de l’API\u00a0: copiez-les maintenant' }).waitFor();
  const secret = await page.locator('[data-credential="client_secret"]').inputValue();
  assert.notEqual(secret, apiMode.secret);
  await page.getByText('L’ancien secret reste valable jusqu’au').waitFor();
  assert.ok(await token(base, apiMode.clientId, secret, 'SI'));
  apiMode.previous = apiMode.secret;
  apiMode.secret = secret;
});

await step('the previous secret is revoked at once, and every change of the API access is in the history', async () => {
  assert.ok(await token(base, apiMode.clientId, apiMode.previous, 'SI'), 'the 24-hour overlap');
  await page.getByRole('button', { name: 'Révoquer l’ancien secret maintenant' }).click();
  const dialog = page.getByRole('dialog', { name: 'Révoquer l’ancien secret' });
  await dialog.waitFor();
  await settled(page);
  await accessible('dialog "Révoquer l\'ancien secret"');
  await dialog.getByRole('button', { name: 'Révoquer l’ancien secret' }).click();
  await page.getByRole('heading', { name: 'L’ancien secret est révoqué' }).waitFor();
  await assert.rejects(token(base, apiMode.clientId, apiMode.previous, 'SI'), /401/, 'revoked at once');
  assert.ok(await token(base, apiMode.clientId, apiMode.secret, 'SI'), 'the new secret still works');
  const history = page.getByRole('table', { name: /Historique de l['’]accès API/ });
  await history.getByText('Ancien secret révoqué').waitFor();
  await history.getByText(/Secret régénéré/).waitFor();
  await history.getByText(/Modalité d['’]accès\s: API, secret émis/).waitFor();
  await accessible('Abonnement with the history of the API access');
});

await step('the administrator sets the notification frequency and address', async () => {
  await choose(page.getByLabel('Quotidienne', { exact: true }));
  await page.getByLabel('Adresse électronique notifiée').fill(`etat-civil.${run}@valfleuri.example`);
  await page.getByRole('button', { name: 'Enregistrer les notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications enregistrées' }).waitFor();
  await page.reload();
  assert.equal(
    await page.getByLabel('Adresse électronique notifiée').inputValue(),
    `etat-civil.${run}@valfleuri.example`,
  );
  assert.ok(await page.getByLabel('Quotidienne', { exact: true }).isChecked());
  await accessible('Abonnement after the changes');
});

await step(
  'the administrator names a technical delegate, who gets an activation e-mail, and sees the e-mail deliveries',
  async () => {
    await page.getByRole('link', { name: 'Retour aux abonnements' }).click();
    await page.getByRole('link', { name: 'Modifier l’abonnement CERTDC' }).click();
    await page.getByRole('heading', { name: 'Abonnement - Certificat de décès électronique' }).waitFor();
    const deliveries = page.getByRole('table', { name: 'Les 20 derniers envois' });
    assert.ok(
      (await deliveries.getByText('Envoyé').count()) >= Object.keys(dossiers).length,
      'a new-dossier e-mail per deposit',
    );
    const delegate = `editeur.${run}@logiciel.example`;
    const removeDelegate = page.getByRole('button', { name: 'Retirer le délégué technique' });
    if ((await page.getByText('Aucun délégué technique.').count()) > 0) {
      assert.equal(await removeDelegate.count(), 0, 'no delegate, nothing to remove');
    }
    await page.getByLabel('Adresse électronique du délégué technique').fill(delegate);
    await page.getByRole('textbox', { name: /^Prénom/ }).fill('Sam');
    await page.getByRole('textbox', { name: /^Nom/ }).fill('Éditeur');
    await page.getByRole('button', { name: 'Enregistrer le délégué technique' }).click();
    await page.getByText(`Délégué technique actuel : ${delegate}.`).waitFor();
    await removeDelegate.waitFor();
    await waitForMail(dataDir, delegate, /(https?:\/\/\S+\/activation\?token=\S+)/);
    await accessible('Abonnement with a technical delegate');
  },
);

await step('the subscriptions and the accounts lists export as CSV files', async () => {
  await page.getByRole('link', { name: 'Retour aux abonnements' }).click();
  await page.getByRole('heading', { name: 'Gestion des abonnements' }).waitFor();
  const subscriptions = await exportCsv();
  assert.match(subscriptions.name, /^abonnements-\d{4}-\d{2}-\d{2}\.csv$/);
  assert.equal(subscriptions.header[0], 'Organisation');
  assert.equal(subscriptions.rows.length, await page.locator('table tbody tr').count());
  const etatCivil = subscriptions.rows.find((r) => r['Code démarche'] === 'EtatCivil');
  assert.deepEqual(
    [etatCivil.Organisation, etatCivil["Modalité d'accès"], etatCivil['Fréquence des notifications']],
    ['Mairie de Valfleuri', 'API', 'Quotidienne'],
  );
  assert.equal(etatCivil['Adresse des notifications'], `etat-civil.${run}@valfleuri.example`);

  await page.getByRole('link', { name: 'Gestion des comptes' }).first().click();
  await page.getByRole('heading', { name: 'Gestion des comptes' }).waitFor();
  await page.locator('table tbody tr').first().waitFor();
  const accounts = await exportCsv();
  assert.match(accounts.name, /^comptes-\d{4}-\d{2}-\d{2}\.csv$/);
  assert.equal(accounts.rows.length, await page.locator('table tbody tr').count());
  const created = accounts.rows.find((r) => r['Adresse électronique'] === agent.email);
  assert.deepEqual(
    [created.Nom, created.Prénom, created["Type d'acteur"], created['Habilitations démarches'], created.Statut],
    ['Nouvel', 'Inès', 'Agent', 'Certificat de décès électronique', 'Actif'],
  );
  await page.getByLabel('Type d’acteur').selectOption('AGENT');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(/actorType=AGENT/);
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  const agents = await exportCsv();
  assert.equal(agents.rows.length, await page.locator('table tbody tr').count());
  assert.ok(agents.rows.length > 0 && agents.rows.every((r) => r["Type d'acteur"] === 'Agent'));
  await accessible('Gestion des comptes, filtered');
});

await walkLoadingAndSiteMap(walker);

/** This month in Paris, `YYYY-MM`, as the statistics name it. */
const parisMonth = () =>
  new Intl.DateTimeFormat('fr-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' }).format(new Date());

/** The cells of the "Par démarche" table's row of a procedure, by column name. */
async function procedureFigures(title) {
  const table = page.getByRole('table', { name: /^Par démarche/ });
  const headers = await table.locator('thead th').allTextContents();
  const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: title }) });
  const cells = await row.locator('th, td').allTextContents();
  return Object.fromEntries(headers.map((h, i) => [h.trim(), cells[i].trim()]));
}

const figure = (text) => Number(text.replace(/\s/g, ''));

await step('the statistics count the dossiers by status, with charts, tables and the same CSV file', async () => {
  await page.getByRole('link', { name: 'Statistiques', exact: true }).first().click();
  await page.getByRole('heading', { name: 'Statistiques', level: 1 }).waitFor();
  // The State's chart component drew its charts (self-hosted, under the Content-Security-Policy).
  await page.locator('bar-chart canvas').first().waitFor();
  await accessible('Statistiques');
  await fitsNarrowScreen('Statistiques');
  const certdc = await procedureFigures('Certificat de décès électronique');
  assert.ok(figure(certdc.Transmis) >= 5, `the walk's five dossiers: ${JSON.stringify(certdc)}`);
  assert.ok(figure(certdc['Premières consultations']) >= 1, JSON.stringify(certdc));
  assert.ok(figure(certdc['Statuts finaux atteints']) >= 2, `Traité and Refusé: ${JSON.stringify(certdc)}`);
  assert.match(certdc['Médiane (statut final)'], /^≈ /);
  const file = await exportCsv();
  assert.match(file.name, /^statistiques-\d{4}-\d{2}-\d{4}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
  const month = file.rows.find((r) => r['Code démarche'] === 'CERTDC' && r.Mois === parisMonth());
  assert.ok(month, `a line for CERTDC this month: ${JSON.stringify(file.rows.slice(-3))}`);
  assert.equal(Number(month['Dossiers transmis']), figure(certdc.Transmis), 'the file holds the page figures');
  assert.ok(Number(month['Traités']) >= 1 && Number(month['Refusés']) >= 1, JSON.stringify(month));
  const sum = ['Nouveaux', 'Reçus', 'En cours', 'En attente de compléments', 'Refusés', 'Traités', 'Clos']
    .concat(["Erreur d'intégration", 'Archivés'])
    .reduce((total, column) => total + Number(month[column]), 0);
  assert.equal(sum, Number(month['Dossiers transmis']), 'each dossier in one status');
  // A month range before the walk: nothing.
  await page.getByLabel('Du mois').fill('2020-01');
  await page.getByLabel('Au mois (inclus)').fill('2020-03');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/from=2020-01/);
  await page.getByText('0 dossier transmis de janvier 2020 à mars 2020').waitFor();
});

/** The audit journal's table, once loaded. */
const auditTable = () => page.locator('#journal-audit');

/** Sets the audit journal's filters (the others are left as they are) and waits for the list. */
async function filterAudit(values) {
  for (const [name, value] of Object.entries(values)) {
    const field = page.locator(`#contenu [name="${name}"]`);
    if (name === 'outcome') await field.selectOption(value);
    else await field.fill(value);
  }
  await page.getByRole('button', { name: 'Filtrer', exact: true }).click();
}

await step('the administrator finds its own sign-in in the audit journal, and the wrong password refused', async () => {
  await page.getByRole('link', { name: 'Journal d’audit' }).first().click();
  await page.getByRole('heading', { name: 'Journal d’audit', level: 1 }).waitFor();
  await page.getByText('audit verify').first().waitFor();
  await auditTable().locator('tbody tr').first().waitFor();
  await accessible('Journal d’audit');
  await fitsNarrowScreen('Journal d’audit');
  // Its own sign-ins: the password, then the e-mailed code that opened the session.
  await filterAudit({ actor: ADMIN, action: 'signIn' });
  await page.waitForURL(/action=signIn/);
  const code = auditTable().locator('tbody tr').filter({ hasText: 'signIn.code' }).first();
  await code.waitFor();
  const row = await code.innerText();
  assert.match(row, new RegExp(ADMIN.replace(/\./g, '\\.')));
  assert.match(row, /compte/);
  assert.match(row, /Connexion\s: code/);
  assert.match(row, /Autorisé/i, 'the badge (in capitals on screen)');
  assert.match(row, /Session ouverte/);
  assert.match(row, /127\.0\.0\.1/, 'the address it came from');
  assert.match(row, /\d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}:\d{2}/, 'its moment in French');
  // Refused only: the wrong password typed at the start of the walk.
  await filterAudit({ outcome: 'DENIED' });
  await page.waitForURL(/outcome=DENIED/);
  // The previous listing stays on screen until the new one replaces it: wait for the new one.
  await page.waitForFunction(() => {
    const badges = [...document.querySelectorAll('#journal-audit tbody .fr-badge')];
    return badges.length > 0 && badges.every((b) => /refusé/i.test(b.textContent));
  });
  const wrong = auditTable().locator('tbody tr').filter({ hasText: 'Mot de passe incorrect' }).first();
  await wrong.waitFor();
  assert.match(await wrong.innerText(), /signIn\.password[\s\S]*Refusé/i);
  const outcomes = await auditTable().locator('tbody .fr-badge').allTextContents();
  assert.ok(outcomes.length > 0, 'refused entries are listed');
  assert.deepEqual([...new Set(outcomes.map((o) => o.trim()))], ['Refusé']);
  await accessible("Journal d'audit, refused entries");
  // An actor nobody is: the empty state; a period backwards is refused in the page.
  await filterAudit({ actor: `personne-${run}` });
  await page.getByText('Aucune entrée du journal ne correspond à ces filtres sur cette période.').waitFor();
  await filterAudit({ from: '2026-02-01', to: '2026-01-31' });
  await page.getByText('La fin de période doit suivre le début de période.').first().waitFor();
  await accessible("Journal d'audit with an error");
  await page.getByRole('button', { name: 'Réinitialiser' }).click();
  await auditTable().locator('tbody tr').first().waitFor();
});

const etatCivil = () => page.getByRole('checkbox', { name: /\(EtatCivil\)/ });
await step(
  'the administrator gives the agent a role and a procedure, suspends the account and reactivates it',
  async () => {
    await page.getByRole('link', { name: 'Gestion des comptes' }).first().click();
    await page.getByRole('link', { name: 'Modifier le compte de Inès Nouvel' }).click();
    await page.getByRole('heading', { name: 'Compte utilisateur - Inès Nouvel' }).waitFor();
    await choose(page.getByLabel('Consultation des abonnements'));
    await choose(etatCivil());
    await page.getByRole('button', { name: 'Enregistrer les modifications' }).click();
    await page.getByRole('heading', { name: 'Modifications enregistrées' }).waitFor();
    await page.getByRole('button', { name: 'Suspendre le compte' }).click();
    const dialog = page.getByRole('dialog', { name: 'Suspendre le compte' });
    await dialog.waitFor();
    await settled(page); // the DSFR moves the focus into the dialog as it opens
    await accessible('dialog "Suspendre le compte"');
    await dialog.getByRole('button', { name: 'Suspendre le compte' }).click();
    await page.getByRole('heading', { name: 'Compte suspendu' }).waitFor();
    await page.locator('.hubee-details .fr-badge', { hasText: 'Suspendu' }).waitFor();
    await page.getByRole('button', { name: 'Réactiver le compte' }).click();
    await page.getByRole('heading', { name: 'Compte réactivé' }).waitFor();
    await page.reload();
    assert.ok(await page.getByLabel('Consultation des abonnements').isChecked(), 'the new role is kept');
    assert.ok(await etatCivil().isChecked(), 'the new procedure is kept');
    await signOut();
  },
);

const DELEGATE = 'support@editeur-demo.example';

await step('the administrator names a delegate of another organisation, who is invited, not added', async () => {
  await answerCode(await signIn(ADMIN, adminPassword));
  await page.getByRole('link', { name: 'Gestion des comptes' }).first().click();
  await page.getByRole('link', { name: 'Ajouter un utilisateur' }).click();
  await page.getByRole('heading', { name: 'Création d’un nouveau compte utilisateur' }).waitFor();
  await page.getByLabel('Type d’acteur').selectOption('TECHNICAL_DELEGATE');
  await page.getByLabel('Adresse électronique').fill(DELEGATE);
  await page.getByRole('textbox', { name: 'Prénom *', exact: true }).fill('Samia');
  await page.getByRole('textbox', { name: 'Nom *', exact: true }).fill('Renaud');
  await page.getByLabel('Téléphone principal').fill('+33 1 23 45 67 89');
  await page.getByRole('button', { name: 'Ajouter l’utilisateur' }).click();
  await page.getByRole('heading', { name: 'Délégué technique invité' }).waitFor();
  await waitForMail(dataDir, DELEGATE, /Mairie de Valfleuri \(SIRET \d{14}\) vous a désigné/);
  await signOut();
});

await step('the delegate accepts the invitation on the home page, then serves both organisations', async () => {
  await answerCode(await signIn(DELEGATE, passwordOf(DELEGATE)));
  await page.getByRole('heading', { name: 'Invitations à intervenir comme délégué technique' }).waitFor();
  await accessible('home page with an invitation');
  await page.getByRole('button', { name: 'Accepter l’invitation de Mairie de Valfleuri' }).click();
  await page.getByRole('heading', { name: 'Invitation acceptée' }).waitFor();
  await page.getByRole('link', { name: 'Gestion des abonnements' }).first().click();
  await page.getByText('Mairie de Valfleuri').first().waitFor();
  await signOut();
});

await step('the administrator gives the delegate a role in the mairie, then detaches it', async () => {
  await answerCode(await signIn(ADMIN, adminPassword));
  await page.getByRole('link', { name: 'Gestion des comptes' }).first().click();
  await page.getByRole('link', { name: 'Modifier le compte de Samia Renaud' }).click();
  await page.getByRole('heading', { name: 'Rôles et habilitations dans votre organisation' }).waitFor();
  await accessible('Compte utilisateur of a delegate of another organisation');
  await choose(page.getByLabel('Consultation des abonnements'));
  await page.getByRole('button', { name: 'Enregistrer les modifications' }).click();
  await page.getByRole('heading', { name: 'Modifications enregistrées' }).waitFor();
  await page.getByRole('button', { name: 'Retirer le délégué' }).click();
  const dialog = page.getByRole('dialog', { name: 'Retirer le délégué technique' });
  await dialog.waitFor();
  await settled(page);
  await dialog.getByRole('button', { name: 'Retirer le délégué' }).click();
  await page.getByRole('heading', { name: 'Délégué technique retiré' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Modifier le compte de Samia Renaud' }).count(), 0);
  await signOut();
});

const LEAVING = { email: `marc.depart.${run}@valfleuri.example`, first: 'Marc', last: `Départ-${run}` };
await step('the administrator removes an account, which leaves the list; its own page offers neither', async () => {
  await answerCode(await signIn(ADMIN, adminPassword));
  await page.getByRole('link', { name: 'Gestion des comptes' }).first().click();
  await page.getByRole('link', { name: 'Ajouter un utilisateur' }).click();
  await page.getByRole('heading', { name: 'Création d’un nouveau compte utilisateur' }).waitFor();
  // A local administrator has no habilitation: its procedure boxes are unticked and disabled.
  const certdc = page.getByLabel('Certificat de décès électronique (CERTDC)');
  await choose(certdc);
  await page.getByLabel('Type d’acteur').selectOption('LOCAL_ADMIN');
  assert.ok((await certdc.isDisabled()) && !(await certdc.isChecked()), 'unticked and disabled');
  await page.getByLabel('Type d’acteur').selectOption('AGENT');
  assert.ok(await certdc.isEnabled(), 'enabled again for an agent');
  await page.getByLabel('Adresse électronique').fill(LEAVING.email);
  await page.getByRole('textbox', { name: 'Prénom *', exact: true }).fill(LEAVING.first);
  await page.getByRole('textbox', { name: 'Nom *', exact: true }).fill(LEAVING.last);
  await page.getByLabel('Téléphone principal').fill('0612345678');
  await page.getByRole('button', { name: 'Ajouter l’utilisateur' }).click();
  await page.getByRole('heading', { name: 'Compte créé' }).waitFor();
  // Roles are required: the only one unticked, the edit is refused before it is sent.
  const role = page.getByLabel('Gestion des télédossiers');
  await role.focus();
  await page.keyboard.press('Space');
  await page.getByText('Cochez au moins un rôle.').first().waitFor();
  assert.ok(await page.getByRole('button', { name: 'Enregistrer les modifications' }).isDisabled());
  await page.keyboard.press('Space');
  await page.getByRole('button', { name: 'Retirer le compte' }).click();
  const dialog = page.getByRole('dialog', { name: 'Retirer le compte' });
  await dialog.waitFor();
  await settled(page);
  await accessible('dialog "Retirer le compte"');
  await dialog.getByRole('button', { name: 'Retirer le compte' }).click();
  await page.getByRole('heading', { name: 'Compte retiré' }).waitFor();
  await page.getByRole('heading', { name: 'Gestion des comptes' }).waitFor();
  await page.getByRole('rowheader', { name: 'Martin' }).waitFor();
  assert.equal(await page.getByRole('cell', { name: LEAVING.email }).count(), 0, 'gone from the list');
  await page.goto(`${base}/comptes/${encodeURIComponent(ADMIN)}`);
  await page.getByRole('heading', { name: /^Compte utilisateur - / }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Suspendre le compte' }).count(), 0, 'not one’s own');
  assert.equal(await page.getByRole('button', { name: 'Retirer le compte' }).count(), 0, 'not one’s own');
  await signOut();
});

// ---------------------------------------------------------------------------------------------
// The national back office: HubEE's own team runs the platform from metadata only.
// ---------------------------------------------------------------------------------------------

const RUN = run.toUpperCase().replace(/[^A-Z0-9]/g, '');
/** A fictional SIRET of this run: 13 digits from the clock, and the Luhn key the hub checks. */
const operatorSiret = (() => {
  const prefix = `99${String(Date.now()).slice(-11)}`;
  const key = [...'0123456789'].find((d) => isSiret(prefix + d));
  return prefix + key;
})();
const operator = { name: `Opérateur E2E ${run}`, code: `E2E${RUN}`.slice(0, 30), siret: operatorSiret };
const procedure = { code: `E2E${RUN}`.slice(0, 30), title: `Démarche de test ${run}` };
const nationalRun = {};
const mainMenu = () => page.getByRole('navigation', { name: 'Menu principal' });

/** Opens a confirmation dialog from its button, checks it with axe and confirms. */
async function confirmIn(opener, title, confirm) {
  await opener.click();
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await settled(page);
  await accessible(`dialog "${title}"`);
  await dialog.getByRole('button', { name: confirm, exact: true }).click();
}

await step('a local administrator gets no national page', async () => {
  await answerCode(await signIn(ADMIN, adminPassword));
  assert.equal(await mainMenu().getByRole('link', { name: 'Organisations' }).count(), 0);
  await page.goto(`${base}/national/organisations`);
  await page.getByRole('heading', { name: 'Accès refusé' }).waitFor();
  await signOut();
});

await step('the national administrator signs in to the national back office, with its own menu', async () => {
  await answerCode(await signIn(NATIONAL, passwordOf(NATIONAL)));
  await page.waitForURL(`${base}/national/organisations`);
  await page.getByRole('heading', { name: 'Organisations', level: 1 }).waitFor();
  await page.getByText('Vous n’avez accès ni au contenu des télédossiers ni à leurs pièces jointes.').waitFor();
  const menu = await mainMenu().getByRole('link').allInnerTexts();
  assert.deepEqual(
    menu.map((t) => t.trim()),
    [
      'Organisations',
      'Démarches',
      'Abonnements',
      'Clients API',
      'Support',
      'Envois en échec',
      'Fusions',
      'Journal',
      'Journal d’audit',
      'Statistiques nationales',
    ],
  );
  await page.getByRole('rowheader', { name: 'Mairie de Valfleuri' }).waitFor();
  await accessible('Organisations');
  await fitsNarrowScreen('Organisations');
});

await step('the organisations filter by SIREN and by type', async () => {
  await page.getByRole('searchbox', { name: /^SIRET ou SIREN/ }).fill('110014016');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(/siret=110014016/);
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  assert.deepEqual(await page.locator('table tbody th').allInnerTexts(), ['Mairie de Valfleuri']);
  await page.getByRole('button', { name: 'Réinitialiser' }).click();
  await page.getByLabel('Type d’organisation').selectOption('OSL');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(/type=OSL/);
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  const operators = await page.locator('table tbody th').allInnerTexts();
  assert.ok(operators.includes('Direction générale de la santé (démo)'), operators.join(', '));
  assert.ok(!operators.includes('Mairie de Valfleuri'));
  await accessible('Organisations, filtered');
});

await step('the national administrator creates an operator with its code and a contact', async () => {
  await page.getByRole('link', { name: 'Créer une organisation' }).click();
  await page.getByRole('heading', { name: 'Créer une organisation' }).waitFor();
  await page.getByRole('button', { name: 'Créer l’organisation' }).click();
  await page.getByRole('heading', { name: /problèmes à corriger/ }).waitFor();
  await accessible('Créer une organisation, with errors');
  await choose(page.getByLabel(/^Opérateur de service en ligne \(OSL\)/));
  await page.getByRole('textbox', { name: /^SIRET/ }).fill(operator.siret);
  await page.getByRole('textbox', { name: /^Nom \*/ }).fill(operator.name);
  await page.getByRole('textbox', { name: /^Code opérateur/ }).fill(operator.code);
  await page.getByRole('button', { name: 'Ajouter un contact' }).click();
  await page.getByRole('textbox', { name: /^Nom ou service/ }).fill('Support E2E');
  await page.getByRole('textbox', { name: /^Adresse électronique/ }).fill(`support.${run}@operateur.example`);
  await fitsNarrowScreen('Créer une organisation');
  await page.getByRole('button', { name: 'Créer l’organisation' }).click();
  await page.getByRole('heading', { name: 'Organisation créée' }).waitFor();
  await page.getByRole('heading', { name: operator.name, level: 1 }).waitFor();
  await page.locator('.hubee-details').getByText(`Support E2E <support.${run}@operateur.example>`).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Ouverte' }).waitFor();
  await accessible('Organisation');
  await fitsNarrowScreen('Organisation');
});

await step('the organisation is closed and reopened, each after a confirmation', async () => {
  await confirmIn(
    page.getByRole('button', { name: 'Fermer l’organisation' }),
    'Fermer l’organisation',
    'Fermer l’organisation',
  );
  await page.getByRole('heading', { name: 'Organisation fermée' }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Fermée' }).waitFor();
  await confirmIn(
    page.getByRole('button', { name: 'Rouvrir l’organisation' }),
    'Rouvrir l’organisation',
    'Rouvrir l’organisation',
  );
  await page.getByRole('heading', { name: 'Organisation rouverte' }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Ouverte' }).waitFor();
});

await step('the national administrator creates a procedure run by that operator, with its rules', async () => {
  await mainMenu().getByRole('link', { name: 'Démarches' }).click();
  await page.getByRole('heading', { name: 'Démarches', level: 1 }).waitFor();
  await page.getByRole('rowheader', { name: 'CERTDC' }).waitFor();
  await accessible('Démarches');
  await fitsNarrowScreen('Démarches');
  await page.getByRole('link', { name: 'Créer une démarche' }).click();
  await page.getByRole('heading', { name: 'Créer une démarche' }).waitFor();
  await page.getByRole('textbox', { name: /^Code de la démarche/ }).fill(procedure.code);
  await page.getByRole('textbox', { name: /^Intitulé/ }).fill(procedure.title);
  await page.getByRole('combobox', { name: /^Opérateur/ }).selectOption(operator.code);
  await page.getByRole('textbox', { name: /^Taille maximale d['’]une pièce jointe de l['’]opérateur/ }).fill('vingt');
  await page.getByRole('button', { name: 'Créer la démarche' }).click();
  await page.getByText('Indiquez une taille en Mo').first().waitFor();
  await accessible('Créer une démarche, with an error');
  await page.getByRole('textbox', { name: /^Taille maximale d['’]une pièce jointe de l['’]opérateur/ }).fill('20');
  await page.getByRole('textbox', { name: /^Formats acceptés de l['’]opérateur/ }).fill('application/pdf');
  const messages = page.getByLabel(/échanger des messages/);
  assert.ok(await messages.isChecked(), 'messages are allowed by default');
  await messages.focus();
  await page.keyboard.press('Space');
  assert.ok(!(await messages.isChecked()));
  await fitsNarrowScreen('Créer une démarche');
  await page.getByRole('button', { name: 'Créer la démarche' }).click();
  await page.getByRole('heading', { name: 'Démarche créée' }).waitFor();
  await page.getByRole('heading', { name: `Démarche ${procedure.code} - ${procedure.title}`, level: 1 }).waitFor();
  const info = page.locator('.hubee-details').first();
  await info.getByText('20 Mo').first().waitFor();
  assert.match(await info.innerText(), /Messages\s+Non/);
  await accessible('Démarche');
  await fitsNarrowScreen('Démarche');
});

await step('a rule of the procedure changes: the retention of its attachments', async () => {
  await page.getByRole('textbox', { name: /^Purge des pièces jointes, en jours/ }).fill('10');
  await page.getByRole('button', { name: 'Enregistrer les modifications' }).click();
  await page.getByRole('heading', { name: 'Modifications enregistrées' }).waitFor();
  await page
    .locator('.hubee-details')
    .getByText(/Purge des pièces jointes\s: 10 jours après/)
    .waitFor();
});

await step(
  "the platform's ADMIN client, created in the back office, subscribes the mairie to the procedure",
  async () => {
    await mainMenu().getByRole('link', { name: 'Clients API' }).click();
    await page.getByRole('heading', { name: 'Clients API', level: 1 }).waitFor();
    await page.getByRole('rowheader', { name: 'dgs-osl' }).waitFor();
    await accessible('Clients API');
    await fitsNarrowScreen('Clients API');
    await page.getByRole('link', { name: 'Créer un client API' }).click();
    await page.getByRole('heading', { name: 'Créer un client API' }).waitFor();
    await choose(page.getByLabel(/^Administration \(ADMIN\)/));
    await page.getByRole('textbox', { name: /^SIRET/ }).fill('11000099000009');
    await page.getByRole('textbox', { name: /^Code établissement/ }).fill('00000');
    await page.getByRole('button', { name: 'Créer le client API' }).click();
    await page.getByRole('heading', { name: 'Client API créé' }).waitFor();
    const clientId = await page.locator('[data-credential="client_id"]').inputValue();
    const secret = await page.locator('[data-credential="client_secret"]').inputValue();
    const admin = await token(base, clientId, secret, 'ADMIN');
    nationalRun.adminClient = { clientId, secret };
    const body = {
      datapassId: Date.now() % 1_000_000_000,
      processCode: procedure.code,
      subscriber: { type: 'SI', ...VALFLEURI },
      accessMode: 'PORTAIL',
      notificationFrequency: 'unitaire',
      email: `etat-civil.${run}@valfleuri.example`,
      localAdministrator: { firstName: 'Alice', lastName: 'Martin', email: ADMIN },
    };
    const call = async (method, path, json) => {
      const response = await fetch(`${base}/referential/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(json),
      });
      const answer = await response.json();
      assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
      return answer;
    };
    const created = await call('POST', '/subscriptions', body);
    await call('PUT', `/subscriptions/${created.id}`, { ...body, status: 'Actif' });
  },
);

await step('the operator gets its client: the secret, shown once and copied, deposits a dossier', async () => {
  await page.goto(`${base}/national/clients-api/nouveau?siret=${operator.siret}&branchCode=00000`);
  await page.getByRole('heading', { name: 'Créer un client API' }).waitFor();
  await choose(page.getByLabel(/^Opérateur \(OSL\)/));
  assert.equal(await page.getByRole('textbox', { name: /^SIRET/ }).inputValue(), operator.siret);
  await page.getByRole('button', { name: 'Créer le client API' }).click();
  await page.getByRole('heading', { name: 'Secret du client API\u00a0: copiez-le maintenant' }).waitFor();
  await page.getByText('Le secret ne sera plus jamais affiché').waitFor();
  nationalRun.clientId = await page.locator('[data-credential="client_id"]').inputValue();
  nationalRun.secret = await page.locator('[data-credential="client_secret"]').inputValue();
  await page.getByRole('button', { name: 'Copier : Secret (client_secret)' }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), nationalRun.secret);
  await accessible('Client API créé, its secret shown once');
  await fitsNarrowScreen('Client API créé');
  nationalRun.token = await token(base, nationalRun.clientId, nationalRun.secret, 'OSL');
  nationalRun.dossier = await depositDossier(base, nationalRun.token, {
    processCode: procedure.code,
    number: `E2E-${run}-NAT-01`.toUpperCase(),
    applicant: { lastName: 'Moreau', firstName: 'Jeanne' },
    recipient: VALFLEURI,
    files: [file('ER20190860001_20190517_1512_VA.pdf', 'PJ', 'application/pdf')],
  });
});

const folderRead = (accessToken) =>
  fetch(`${base}/teledossiers/v1/folders/${nationalRun.dossier.folderId}`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  }).then((r) => r.status);

await step('the client is disabled after a confirmation: its token is refused at once', async () => {
  assert.equal(await folderRead(nationalRun.token), 200);
  await page.getByRole('link', { name: 'Les clients API de l’organisation' }).click();
  await page.getByRole('heading', { name: 'Clients API', level: 1 }).waitFor();
  await page.waitForURL(new RegExp(`siret=${operator.siret}`));
  await page.getByRole('rowheader', { name: nationalRun.clientId }).waitFor();
  await confirmIn(
    page.getByRole('button', { name: `Désactiver le client ${nationalRun.clientId}` }),
    'Désactiver le client API',
    'Désactiver le client',
  );
  await page.getByRole('heading', { name: 'Client API désactivé' }).waitFor();
  await page
    .getByRole('row', { name: new RegExp(nationalRun.clientId) })
    .getByText('Désactivé')
    .waitFor();
  assert.equal(await folderRead(nationalRun.token), 401, 'the live token is refused');
  await assert.rejects(token(base, nationalRun.clientId, nationalRun.secret, 'OSL'), /401|400/);
  await accessible('Clients API with a disabled client');
});

await step('enabled again, the client gets a new secret and the old one is revoked at once', async () => {
  await page.getByRole('button', { name: `Réactiver le client ${nationalRun.clientId}` }).click();
  await page.getByRole('heading', { name: 'Client API réactivé' }).waitFor();
  await page.getByRole('button', { name: `Nouveau secret pour le client ${nationalRun.clientId}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Générer un nouveau secret' });
  await dialog.waitFor();
  await settled(page);
  await choose(dialog.getByLabel(/Révoquer l['’]ancien secret immédiatement/));
  await accessible('dialog "Générer un nouveau secret"');
  await dialog.getByRole('button', { name: 'Générer le secret' }).click();
  await page.getByRole('heading', { name: 'Nouveau secret généré, l’ancien est révoqué' }).waitFor();
  const secret = await page.locator('[data-credential="client_secret"]').inputValue();
  assert.notEqual(secret, nationalRun.secret);
  await assert.rejects(token(base, nationalRun.clientId, nationalRun.secret, 'OSL'), /401|400/, 'revoked at once');
  nationalRun.token = await token(base, nationalRun.clientId, secret, 'OSL');
  assert.equal(await folderRead(nationalRun.token), 200);
  await accessible('Clients API with a new secret');
});

await step('the procedure is closed after a confirmation: the operator can no longer deposit', async () => {
  await mainMenu().getByRole('link', { name: 'Démarches' }).click();
  await page.getByRole('link', { name: procedure.code, exact: true }).click();
  await page.getByRole('heading', { name: `Démarche ${procedure.code} - ${procedure.title}`, level: 1 }).waitFor();
  await confirmIn(page.getByRole('button', { name: 'Fermer la démarche' }), 'Fermer la démarche', 'Fermer la démarche');
  await page.getByRole('heading', { name: 'Démarche fermée' }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Fermée' }).waitFor();
  await assert.rejects(
    depositDossier(base, nationalRun.token, {
      processCode: procedure.code,
      number: `E2E-${run}-NAT-02`.toUpperCase(),
      applicant: { lastName: 'Moreau', firstName: 'Jeanne' },
      recipient: VALFLEURI,
      files: [file('ER20190860001_20190517_1512_VA.pdf', 'PJ', 'application/pdf')],
    }),
    /closed to new folders/,
  );
  assert.equal(await folderRead(nationalRun.token), 200, 'what it holds stays readable');
});

await step('the journal lists these actions, newest first, with the fields each changed', async () => {
  await mainMenu().getByRole('link', { name: 'Journal', exact: true }).click();
  await page.getByRole('heading', { name: 'Journal des actions nationales' }).waitFor();
  const rows = page.locator('#journal tbody tr');
  await rows.first().waitFor();
  const actions = await page.locator('#journal tbody th').allInnerTexts();
  assert.deepEqual(actions, [
    'Fermeture d’une démarche',
    'Nouveau secret d’un client API',
    'Réactivation d’un client API',
    'Désactivation d’un client API',
    'Création d’un client API',
    'Création d’un client API',
    'Modification d’une démarche',
    'Création d’une démarche',
    'Modification d’une organisation',
    'Modification d’une organisation',
  ]);
  const closing = await rows.nth(0).innerText();
  assert.match(closing, new RegExp(`Démarche ${procedure.code}`));
  assert.match(closing, /Fermée\s: non\s*→\s*devient\s*oui/);
  assert.match(closing, /Nadia Roux/);
  assert.match(await rows.nth(6).innerText(), /Conservation\s: par défaut\s*→\s*devient\s*purge 10 jours/);
  assert.doesNotMatch(await page.locator('#journal').innerText(), /argon2|client_secret/);
  await rows
    .nth(0)
    .getByRole('link', { name: `Démarche ${procedure.code}` })
    .waitFor();
  await accessible('Journal');
  // Ten a page: the first actions are on the next one (the oldest, the archive delay set at the
  // start of the walk).
  await page.getByRole('button', { name: 'Page suivante' }).click();
  await page.getByText('Page 2 : 2 actions').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'status', 'the focus follows');
  assert.deepEqual(await page.locator('#journal tbody th').allInnerTexts(), [
    'Création d’une organisation',
    'Modification d’une démarche',
  ]);
  assert.match(
    await rows.nth(1).innerText(),
    /Démarche EtatCivil[\s\S]*Conservation\s: par défaut\s*→\s*devient[\s\S]*archivage 0 jour/,
  );
  assert.match(await rows.nth(0).innerText(), new RegExp(`Code\\s: ${operator.code}`));
  await page.getByRole('button', { name: 'Page précédente' }).click();
  await page.getByText('Page 1 : 10 actions').waitFor();
  await accessible('Journal');
  await fitsNarrowScreen('Journal');
});

// --- Subscriptions, support, failed e-mails and commune mergers ----------------------------------

const VILLEBOURG = { companyRegister: '21000005908301', branchCode: '69123' };
const MONTVAL = { companyRegister: '21000014875749', branchCode: '33063' };
/** A local administrator whose address the mailer refuses (two dots in a row): its e-mails fail. */
const UNREACHABLE = `admin..${run}@montval.example`;
const WAITING = `lina.garnier.${run}@villebourg.example`;
const BRUNO = 'agent@valfleuri.example';

/** The referential of the hub, as the ADMIN client created in the back office calls it. */
async function referential(method, path, json) {
  const { clientId, secret } = nationalRun.adminClient;
  const admin = await token(base, clientId, secret, 'ADMIN');
  const response = await fetch(`${base}/referential/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(json),
  });
  const answer = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A sign-in through the portal API (no browser): the password step's status and answer. */
async function passwordStep(email, password) {
  const response = await fetch(`${base}/portail/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Opens a decision's dialog on a subscription's page, with an optional reason, and confirms it. */
async function decideOn(label, reason) {
  await page.getByRole('button', { name: label, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: label });
  await dialog.waitFor();
  await settled(page);
  if (reason) await dialog.getByRole('textbox', { name: /^Motif/ }).fill(reason);
  await accessible(`dialog "${label}"`);
  await dialog.getByRole('button', { name: label, exact: true }).click();
}

const decisionButtons = () =>
  page
    .locator('section', { has: page.getByRole('heading', { name: 'Décisions', level: 2 }) })
    .getByRole('button')
    .allInnerTexts();

await step('the subscriptions of the platform filter by procedure and status', async () => {
  await mainMenu().getByRole('link', { name: 'Abonnements' }).click();
  await page.getByRole('heading', { name: 'Abonnements', level: 1 }).waitFor();
  await page.locator('#abonnements tbody tr').first().waitFor();
  await accessible('Abonnements');
  await fitsNarrowScreen('Abonnements');
  await page.getByLabel('Démarche').selectOption('CERTDC');
  await page.getByLabel('Statut').selectOption('Actif');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(/processCode=CERTDC&status=Actif/);
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  await page.getByText('2 abonnements.').waitFor();
  const organisations = await page.locator('#abonnements tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual(organisations.sort(), ['11001401600015 (75108)', '21000005908301 (69123)']);
  await page.getByRole('searchbox', { name: /^SIRET de l['’]organisation/ }).fill('11001401600016');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.getByRole('heading', { name: 'Un problème à corriger' }).waitFor();
  await accessible('Abonnements, filters with an error');
  await page.getByRole('button', { name: 'Réinitialiser' }).click();
  await page.waitForURL(`${base}/national/abonnements`);
});

await step('no e-mail has failed yet: the failed e-mails page says so', async () => {
  await mainMenu().getByRole('link', { name: 'Envois en échec' }).click();
  await page.getByRole('heading', { name: 'Envois en échec', level: 1 }).waitFor();
  await page.getByText('Aucun e-mail en échec\u00a0: tous les envois ont abouti ou sont en cours.').waitFor();
  await accessible('Envois en échec, empty');
});

await step("a subscription is suspended then resumed from its organisation's page, each e-mailed", async () => {
  await mainMenu().getByRole('link', { name: 'Organisations' }).click();
  await page.getByRole('link', { name: 'Mairie de Valfleuri', exact: true }).click();
  await page.getByRole('heading', { name: 'Mairie de Valfleuri', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Gérer l’abonnement CERTDC' }).click();
  await page.getByRole('heading', { name: 'Abonnement - Mairie de Valfleuri - CERTDC', level: 1 }).waitFor();
  assert.deepEqual(await decisionButtons(), ['Suspendre l’abonnement', 'Mettre fin à l’abonnement']);
  await accessible('Abonnement (national)');
  await fitsNarrowScreen('Abonnement (national)');
  const seen = mailsSoFar(dataDir, ADMIN);
  await decideOn('Suspendre l’abonnement', 'Contrôle de sécurité E2E');
  await page.getByRole('heading', { name: 'Abonnement suspendu' }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Suspendu' }).waitFor();
  assert.deepEqual(await decisionButtons(), ['Rétablir l’abonnement', 'Mettre fin à l’abonnement']);
  assert.equal(
    await waitForMail(dataDir, ADMIN, /« Certificat de décès électronique » a été suspendu[\s\S]*Motif : ([^\r\n]+)/, {
      seen,
    }),
    'Contrôle de sécurité E2E',
  );
  await decideOn('Rétablir l’abonnement');
  await page.getByRole('heading', { name: 'Abonnement rétabli' }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Actif' }).waitFor();
  await waitForMail(dataDir, ADMIN, /« Certificat de décès électronique » (a été rétabli)/, { seen });
  assert.ok(await token(base, 'valfleuri-certdc', secretOf('valfleuri-certdc'), 'SI'), 'its API client works again');
});

await step('a new subscription (Inactif) is refused, with its reason, which it requires', async () => {
  // Subscribed through the referential, which creates their local administrators' accounts.
  const subscribe = (subscriber, processCode, email, [firstName, lastName]) =>
    referential('POST', '/subscriptions', {
      datapassId: (Date.now() % 1_000_000_000) + 1,
      processCode,
      subscriber: { type: 'SI', ...subscriber },
      accessMode: 'PORTAIL',
      notificationFrequency: 'unitaire',
      email: `etat-civil.${run}@${subscriber === MONTVAL ? 'montval' : 'villebourg'}.example`,
      localAdministrator: { firstName, lastName, email },
    });
  await subscribe(MONTVAL, 'EtatCivil', UNREACHABLE, ['Marc', 'Lenoir']);
  await subscribe(VILLEBOURG, 'EtatCivil', WAITING, ['Lina', 'Garnier']);
  await waitForMail(dataDir, WAITING, /(https?:\/\/\S+\/activation\?token=\S+)/);

  await mainMenu().getByRole('link', { name: 'Abonnements' }).click();
  await page.getByLabel('Démarche').selectOption('EtatCivil');
  await page.getByLabel('Statut').selectOption('Inactif');
  await page.getByRole('searchbox', { name: /^SIRET de l['’]organisation/ }).fill(MONTVAL.companyRegister);
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.getByText('1 abonnement.').waitFor();
  await page.getByRole('link', { name: `Gérer l’abonnement EtatCivil de ${MONTVAL.companyRegister} (33063)` }).click();
  await page.getByRole('heading', { name: 'Abonnement - Mairie de Montval - EtatCivil', level: 1 }).waitFor();
  assert.deepEqual(await decisionButtons(), ['Valider l’abonnement', 'Refuser l’abonnement']);
  await page.getByRole('button', { name: 'Refuser l’abonnement' }).click();
  const dialog = page.getByRole('dialog', { name: 'Refuser l’abonnement' });
  await dialog.waitFor();
  await settled(page);
  await dialog.getByRole('button', { name: 'Refuser l’abonnement' }).click();
  await dialog.getByText('Indiquez le motif du refus.').first().waitFor();
  await accessible('dialog "Refuser l\'abonnement" without its reason');
  await dialog.getByRole('textbox', { name: /^Motif du refus/ }).fill('SIRET d’une autre commune (E2E)');
  await dialog.getByRole('button', { name: 'Refuser l’abonnement' }).click();
  await page.getByRole('heading', { name: 'Abonnement refusé' }).waitFor();
  await page.locator('.hubee-details').getByText('SIRET d’une autre commune (E2E)').waitFor();
  await page.getByText('Aucune décision ne s’applique à un abonnement au statut « Refusé ».').waitFor();
  await accessible('Abonnement refusé');
});

await step("the refusal its local administrator's address cannot receive is listed, and sent again", async () => {
  await mainMenu().getByRole('link', { name: 'Envois en échec' }).click();
  await page.getByRole('heading', { name: 'Envois en échec', level: 1 }).waitFor();
  // The dispatcher parks it as soon as the mailer refuses the address.
  for (let i = 0; (await page.locator('#envois').count()) === 0; i += 1) {
    assert.ok(i < 50, 'the refused e-mail is listed');
    await page.waitForTimeout(200);
    await page.reload();
    await page.getByRole('heading', { name: 'Envois en échec', level: 1 }).waitFor();
  }
  const row = page.getByRole('row', { name: new RegExp(UNREACHABLE.replace(/\./g, '\\.')) });
  await row.getByText('Décision sur un abonnement').waitFor();
  await row.getByText('Adresse refusée par le service d’envoi').waitFor();
  await row.getByText('E-mail à une personne').waitFor();
  await accessible('Envois en échec');
  await fitsNarrowScreen('Envois en échec');
  await row.getByRole('button', { name: `Renvoyer l’e-mail à ${UNREACHABLE}` }).click();
  await page.getByRole('heading', { name: 'E-mail renvoyé' }).waitFor();
  assert.equal(
    await page.evaluate(() => document.activeElement.textContent),
    'E-mail renvoyé',
    'the focus moves to the result',
  );
});

await step('support finds an account by name, sees it locked after wrong passwords and unlocks it', async () => {
  for (let i = 0; i < 5; i += 1) assert.equal((await passwordStep(BRUNO, `Pas-le-bon-${i}!`)).status, 401);
  assert.equal((await passwordStep(BRUNO, passwordOf(BRUNO))).status, 401, 'locked: even its password is refused');
  await mainMenu().getByRole('link', { name: 'Support' }).click();
  await page.getByRole('heading', { name: 'Support', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.getByRole('heading', { name: 'Un problème à corriger' }).waitFor();
  await accessible('Support, an empty search');
  await page.getByRole('searchbox', { name: /^Adresse électronique ou nom de famille/ }).fill('pétit');
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.waitForURL(/\/national\/support\?q=p%C3%A9tit/);
  await page.getByRole('link', { name: 'PETIT Bruno' }).waitFor();
  await accessible('Support, accounts found');
  await fitsNarrowScreen('Support');
  await page.getByRole('link', { name: 'PETIT Bruno' }).click();
  await page.getByRole('heading', { name: 'Compte - Bruno Petit', level: 1 }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Verrouillé jusqu’au' }).waitFor();
  assert.match(await page.locator('.hubee-details').innerText(), /Verrouillé jusqu['’]au\s+\d{2}\/\d{2}\/\d{4} à/);
  await page.getByRole('link', { name: 'Mairie de Valfleuri' }).waitFor();
  assert.equal(await page.locator('input[type="password"]').count(), 0, 'support never asks for a password');
  assert.doesNotMatch(await page.locator('main').innerText(), /argon2|\$2[aby]\$/);
  await accessible('Compte (support), locked');
  await fitsNarrowScreen('Compte (support)');
  await page.getByRole('button', { name: 'Déverrouiller le compte' }).click();
  await page.getByRole('heading', { name: 'Compte déverrouillé' }).waitFor();
  assert.equal(await page.locator('.hubee-details .fr-badge', { hasText: 'Verrouillé' }).count(), 0);
  await page.locator('.hubee-details').getByText('Jamais').waitFor();

  // Unlocked, Bruno Petit signs in (password, then the e-mailed code); support sees when.
  const seen = mailsSoFar(dataDir, BRUNO);
  const signed = await passwordStep(BRUNO, passwordOf(BRUNO));
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  const code = await waitForMail(dataDir, BRUNO, /\b(\d{6})\b/, { seen });
  const otp = await fetch(`${base}/portail/v1/session/otp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ challengeId: signed.body.challengeId, code }),
  });
  assert.equal(otp.status, 200, 'the code opens a session');
  await page.reload();
  await page.getByRole('heading', { name: 'Compte - Bruno Petit', level: 1 }).waitFor();
  assert.doesNotMatch(await page.locator('.hubee-details').innerText(), /Dernière connexion\s+Jamais/);
  await page
    .locator('.hubee-details')
    .getByText(/^\d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}$/)
    .waitFor();
});

await step('support suspends the account and reinstates it, each after a confirmation', async () => {
  await confirmIn(
    page.getByRole('button', { name: 'Suspendre le compte' }),
    'Suspendre le compte',
    'Suspendre le compte',
  );
  await page.getByRole('heading', { name: 'Compte suspendu' }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Suspendu' }).waitFor();
  assert.equal((await passwordStep(BRUNO, passwordOf(BRUNO))).status, 401, 'a suspended account cannot sign in');
  await confirmIn(page.getByRole('button', { name: 'Rétablir le compte' }), 'Rétablir le compte', 'Rétablir le compte');
  await page.getByRole('heading', { name: 'Compte rétabli' }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'Actif' }).waitFor();
  assert.equal((await passwordStep(BRUNO, passwordOf(BRUNO))).status, 200, 'reinstated, it signs in again');
});

await step('support sends its activation e-mail again to an account waiting for it', async () => {
  await page.getByRole('link', { name: 'Retour à la recherche' }).click();
  await page.getByRole('searchbox', { name: /^Adresse électronique ou nom de famille/ }).fill(WAITING.toUpperCase());
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.getByText('1 compte trouvé.').waitFor();
  await page.getByRole('link', { name: 'GARNIER Lina' }).click();
  await page.getByRole('heading', { name: 'Compte - Lina Garnier', level: 1 }).waitFor();
  await page.locator('.hubee-details .fr-badge', { hasText: 'En attente d’activation' }).waitFor();
  await page
    .getByRole('row', { name: /Mairie de Villebourg/ })
    .getByText('Organisation d’appartenance')
    .waitFor();
  await accessible('Compte (support), waiting for its activation');
  const seen = mailsSoFar(dataDir, WAITING);
  await page.getByRole('button', { name: 'Renvoyer l’e-mail d’activation' }).click();
  await page.getByRole('heading', { name: 'E-mail d’activation renvoyé' }).waitFor();
  const link = await waitForMail(dataDir, WAITING, /(https?:\/\/\S+\/activation\?token=\S+)/, { seen });
  assert.match(link, /\/activation\?token=/);
});

await step("a commune merger moves the mairie's CERTDC dossiers to another, counting them as it goes", async () => {
  await mainMenu().getByRole('link', { name: 'Fusions' }).click();
  await page.getByRole('heading', { name: 'Fusions de communes', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Une opération définitive' }).waitFor();
  await page.getByRole('button', { name: 'Lancer la fusion' }).click();
  await page.getByRole('heading', { name: '4 problèmes à corriger' }).waitFor();
  await accessible('Fusions de communes, with errors');
  await fitsNarrowScreen('Fusions de communes');
  const side = (name) => page.getByRole('group', { name: new RegExp(`^Organisation ${name}`) });
  await side('source')
    .getByRole('textbox', { name: /^SIRET/ })
    .fill(VALFLEURI.companyRegister);
  await side('source')
    .getByRole('textbox', { name: /^Code établissement/ })
    .fill(VALFLEURI.branchCode);
  await side('cible')
    .getByRole('textbox', { name: /^SIRET/ })
    .fill(VILLEBOURG.companyRegister);
  await side('cible')
    .getByRole('textbox', { name: /^Code établissement/ })
    .fill(VILLEBOURG.branchCode);
  await page.getByLabel('Démarche').selectOption('CERTDC');
  await confirmIn(
    page.getByRole('button', { name: 'Lancer la fusion' }),
    'Confirmer la fusion',
    'Déplacer les télédossiers',
  );
  await page.getByRole('heading', { name: 'Fusion terminée' }).waitFor();
  const moved = Object.keys(dossiers).length;
  const result = await page.locator('[data-alert="success"]').innerText();
  assert.match(
    result,
    /De Mairie de Valfleuri \(SIRET 11001401600015, code établissement 75108\) vers Mairie de Villebourg/,
  );
  assert.match(result, new RegExp(`: ${moved} télédossiers déplacés, (\\d+) notifications déplacées\\.`));
  assert.ok(Number(/(\d+) notifications/.exec(result)[1]) >= moved, 'a notification at least per dossier');
  assert.match(await page.getByRole('status').filter({ hasText: 'Fusion' }).innerText(), /^Fusion terminée\s: /);
  await accessible('Fusions de communes, done');
  nationalRun.merged = moved;
});

await step('the journal lists these decisions and support actions, newest first', async () => {
  await mainMenu().getByRole('link', { name: 'Journal', exact: true }).click();
  await page.getByRole('heading', { name: 'Journal des actions nationales' }).waitFor();
  await page.locator('#journal tbody tr').first().waitFor();
  assert.deepEqual(await page.locator('#journal tbody th').allInnerTexts(), [
    'Fusion\u00a0: télédossiers déplacés',
    'Nouvel e-mail d’activation d’un compte',
    'Rétablissement d’un compte',
    'Suspension d’un compte',
    'Déverrouillage d’un compte',
    'Nouvel envoi d’un e-mail en échec',
    'Refus d’un abonnement',
    'Rétablissement d’un abonnement',
    'Suspension d’un abonnement',
    'Fermeture d’une démarche',
  ]);
  const rows = page.locator('#journal tbody tr');
  assert.match(
    await rows.nth(0).innerText(),
    /Organisation 11001401600015-75108 → Organisation 21000005908301-69123[\s\S]*Télédossiers déplacés\s: \d+/,
  );
  await rows
    .nth(4)
    .getByRole('link', { name: `Compte ${BRUNO}` })
    .waitFor();
  await rows.nth(8).getByRole('link', { name: 'Abonnement CERTDC de 11001401600015-75108' }).waitFor();
  assert.match(await rows.nth(8).innerText(), /Statut\s: Actif\s*→\s*devient\s*Suspendu/);
  await accessible('Journal with the support actions');
});

await step("the national audit journal lists every organisation's entries, or one organisation's", async () => {
  await mainMenu().getByRole('link', { name: 'Journal d’audit' }).click();
  await page.getByRole('heading', { name: 'Journal d’audit', level: 1 }).waitFor();
  await page.getByText('Vous n’avez accès ni au contenu des télédossiers ni à leurs pièces jointes.').waitFor();
  await auditTable().locator('tbody tr').first().waitFor();
  assert.ok((await auditTable().locator('thead th').allInnerTexts()).includes('Organisation'));
  await accessible("Journal d'audit national");
  await fitsNarrowScreen("Journal d'audit national");
  // A SIRET alone is refused in the page: it goes with its branch code.
  await filterAudit({ siret: VALFLEURI.companyRegister, outcome: 'DENIED', action: 'signIn' });
  await page.getByText('Le SIRET et le code établissement vont ensemble.').first().waitFor();
  await filterAudit({ branchCode: VALFLEURI.branchCode });
  await page.waitForURL(/branchCode=75108/);
  const wrong = auditTable()
    .locator('tbody tr')
    .filter({ hasText: ADMIN })
    .filter({ hasText: 'Mot de passe incorrect' })
    .first();
  await wrong.waitFor();
  const organisations = await auditTable().locator('tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual([...new Set(organisations.map((o) => o.trim()))], ['11001401600015-75108']);
  await accessible("Journal d'audit national of one organisation");
});

await step('the national administrator gets no local page: the inbox is refused', async () => {
  await page.goto(`${base}/teledossiers`);
  await page.getByRole('heading', { name: 'Accès refusé' }).waitFor();
  await page.getByRole('heading', { name: 'L’administration nationale n’a pas accès à cette page' }).waitFor();
  assert.equal(await mainMenu().getByRole('link', { name: 'Télédossiers' }).count(), 0);
  const status = await page.evaluate(() => fetch('/portail/v1/cases').then((r) => r.status));
  assert.equal(status, 403, 'the hub refuses the inbox too');
  await accessible('Accès refusé to the national administrator');
  await page.getByRole('link', { name: 'Aller à l’administration nationale' }).click();
  await page.waitForURL(`${base}/national/organisations`);
  await signOut();
});

await step(
  'retention archived the dossier its operator closed: « Archivés » counts it, lists it, opens it read-only',
  async () => {
    await answerCode(await signIn(agent.email, agent.password));
    await page.waitForURL(`${base}/teledossiers`);
    // Retention runs every minute on the local hub: the dossier closed at the start of the walk
    // is archived by now, or at the next run.
    const counted = () =>
      page.waitForFunction(() => /Tous \(\d+\)/.test(document.querySelector('[role=tablist]')?.textContent ?? ''));
    const waiting = Date.now();
    await counted();
    while ((await page.getByRole('tab', { name: /^Archivés \(/ }).count()) === 0) {
      assert.ok(Date.now() - waiting < 90_000, 'retention archives the closed dossier within 90 s');
      await page.waitForTimeout(2_000);
      await page.reload();
      await counted();
    }
    if (Date.now() - waiting > 1_000)
      console.log(`    (${Math.round((Date.now() - waiting) / 1000)} s for retention's next run)`);
    assert.equal(await tabCount('Archivés'), 1);
    await page.getByRole('tab', { name: /^Archivés/ }).click();
    await page.waitForURL(/statut=ARCHIVE/);
    await page.waitForFunction(() => document.querySelectorAll('#liste-teledossiers tbody tr').length === 1);
    assert.deepEqual(await rowsShown(), [archived.caseId]);
    const row = page.locator(`tr[data-case-id="${archived.caseId}"]`);
    await row.locator('.fr-badge', { hasText: 'Archivé' }).waitFor();
    await row.getByText(archived.person.lastName.toLocaleUpperCase('fr-FR')).waitFor();
    await accessible('Télédossiers, tab Archivés');
    await page.getByRole('link', { name: `Consulter le télédossier ${archived.number}` }).click();
    await page.waitForURL(`${base}/dossiers/${archived.caseId}`);
    await expectBadge('Archivé');
    await page.getByText('Ce télédossier est archivé\u00a0: vous pouvez le consulter jusqu’à sa suppression').waitFor();
    await page.locator('.hubee-timeline', { hasText: 'Statut modifié de « Clos » à « Archivé »' }).waitFor();
    // Read, never changed: no status, assignment, comment, deposit or message.
    assert.equal(await page.getByRole('dialog', { name: 'Confirmer la réception' }).count(), 0);
    for (const control of [
      page.getByRole('button', { name: 'Modifier le statut' }),
      page.getByRole('button', { name: 'Me l’attribuer' }),
      page.getByLabel('Attribuer à un collègue'),
      page.getByLabel('Ajout d’un nouveau commentaire'),
      page.getByLabel('Déposer une pièce jointe'),
      page.getByLabel('Message à l’opérateur'),
    ])
      assert.equal(await control.count(), 0, `${control} is not offered`);
    await page.getByRole('button', { name: 'Télécharger tous les éléments' }).waitFor();
    await accessible('archived dossier, read-only');
    await fitsNarrowScreen('archived dossier');
    await page.getByRole('link', { name: 'Télédossiers', exact: true }).first().click();
    await page.waitForURL(`${base}/teledossiers`);
  },
);

await step("after the merger, the mairie's agent finds no dossier left in the inbox", async () => {
  assert.deepEqual(await rowsShown(), []);
  assert.equal(await tabCount('Tous'), 0, `the ${nationalRun.merged} dossiers moved to the Mairie de Villebourg`);
  await page.getByText('Aucun télédossier dans l’onglet « Tous ».').waitFor();
  await accessible('Télédossiers, empty after a merger');
  await signOut();
});

await step('the national administrator sees every organisation, one operator, and exports the figures', async () => {
  const email = 'national@hubee-demo.example';
  await answerCode(await signIn(email, passwordOf(email)));
  await page.getByRole('link', { name: 'Statistiques nationales' }).first().click();
  await page.getByRole('heading', { name: 'Statistiques nationales', level: 1 }).waitFor();
  await page.locator('bar-chart canvas').first().waitFor();
  await accessible('Statistiques nationales');
  const all = await procedureFigures('Certificat de décès électronique');
  assert.ok(figure(all.Transmis) >= 5, JSON.stringify(all));
  await page.getByLabel('Opérateur').fill('11000000000007-00000');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await page.waitForURL(/operator=11000000000007-00000/);
  await page.getByText('Périmètre : opérateur').waitFor();
  const dgs = await procedureFigures('Certificat de décès électronique');
  assert.ok(figure(dgs.Transmis) >= 5, `the walk's operator deposited them: ${JSON.stringify(dgs)}`);
  await accessible('Statistiques nationales of an operator');
  const file = await exportCsv();
  const month = file.rows.find((r) => r['Code démarche'] === 'CERTDC' && r.Mois === parisMonth());
  assert.equal(Number(month['Dossiers transmis']), figure(dgs.Transmis));
  await signOut();
});

await step('an agent the administrator enrolled signs in with the ProConnect button, then out of both', async () => {
  if (!proconnect) {
    console.log('    (no ProConnect stand-in: HUBEE_TEST_PROCONNECT_ISSUER unset)');
    return;
  }
  await answerCode(await signIn(ADMIN, adminPassword));
  await page.goto(`${base}/comptes/nouveau`);
  await page.getByRole('heading', { name: 'Création d’un nouveau compte utilisateur' }).waitFor();
  await page.getByLabel('Type d’acteur').selectOption('AGENT');
  await choose(page.getByLabel('Certificat de décès électronique (CERTDC)'));
  await page.getByLabel('Adresse électronique').fill('camille.martin@mairie-a.test');
  await choose(page.getByLabel('Madame'));
  await page.getByRole('textbox', { name: 'Prénom *', exact: true }).fill('Camille');
  await page.getByRole('textbox', { name: 'Nom *', exact: true }).fill('Martin');
  const phone = page.getByLabel('Téléphone principal');
  await phone.fill('+33 6 12 34 56 79');
  await phone.blur();
  await page.getByRole('button', { name: 'Ajouter l’utilisateur' }).click();
  await page.getByRole('heading', { name: 'Compte créé' }).waitFor();
  await signOut();

  await page.goto(`${base}/connexion`);
  const button = page.getByRole('button', { name: /S’identifier avec\s*ProConnect/ });
  await button.waitFor();
  await page.getByRole('link', { name: 'Qu’est-ce que ProConnect ?' }).waitFor();
  await accessible('sign-in page with the ProConnect button');
  await fitsNarrowScreen('sign-in page with the ProConnect button');
  await button.click();
  await page.waitForURL((url) => url.href.startsWith(proconnect));
  await page.locator('button[name="user"][value="agent"]').click();
  await page.getByRole('button', { name: 'Se déconnecter' }).first().waitFor();
  assert.equal(new URL(page.url()).origin, new URL(base).origin, 'back at the hub');
  // Signing out ends the hub's session, then ProConnect's, which sends the browser back.
  await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
  await page.waitForURL((url) => url.origin === new URL(base).origin && url.pathname === '/connexion');
  await page.getByRole('heading', { name: 'Connexion au Portail HubEE' }).waitFor();
  const me = await page.evaluate(async () => (await fetch('/portail/v1/me')).status);
  assert.equal(me, 401, "the hub's session is over");
});

await step('someone ProConnect knows but the hub does not lands on a page saying why, without a session', async () => {
  if (!proconnect) return;
  await page.getByRole('button', { name: /S’identifier avec\s*ProConnect/ }).click();
  await page.waitForURL((url) => url.href.startsWith(proconnect));
  await page.locator('button[name="user"][value="unknown"]').click();
  await page.getByRole('heading', { name: 'Aucun compte HubEE ne correspond à cette adresse' }).waitFor();
  await page.getByText('inconnu.dupont@mairie-a.test').waitFor();
  await page.locator('#contenu').getByRole('link', { name: 'support@hubee-demo.example' }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the address does not stay in the address bar');
  await accessible('ProConnect refusal page');
  await fitsNarrowScreen('ProConnect refusal page');
  // "Try another account": signed out of ProConnect, back to the sign-in page.
  await page.getByRole('link', { name: 'Essayer avec un autre compte' }).click();
  await page.waitForURL((url) => url.origin === new URL(base).origin && url.pathname === '/connexion');
});

await step('no script error and nothing blocked by the Content-Security-Policy during the walk', async () => {
  const problems = browser.problems.filter(
    (p) => !/Failed to load resource: the server responded with a status of (401|400|403|404)/.test(p),
  );
  assert.deepEqual(problems, []);
});

await browser.close();
rmSync(artefacts, { recursive: true, force: true });

const passed = results.filter((r) => r.status === 'passed').length;
const failed = results.filter((r) => r.status === 'failed').length;
const skipped = results.filter((r) => r.status === 'skipped').length;
console.log(`\naxe-core ran on ${axeRuns.length} page states.`);
console.log(`e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || skipped > 0 ? 1 : 0);
