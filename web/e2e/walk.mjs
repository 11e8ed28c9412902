// The portal end to end, in headless Chromium against a running local hub (web/e2e/run starts
// it): an administrator creates an agent, the agent activates the account from the e-mailed
// link, signs in with the e-mailed code and instructs dossiers deposited through the operator
// API; then the administrator puts a subscription in API mode and its credentials obtain a token.
// Every page of the walk goes through axe-core (no serious or critical violation), at 1280 and at
// 320 px wide. Prints `e2e: N passed, M failed` and exits non-zero on any failure.
//
// Environment: E2E_BASE_URL (the hub), E2E_DATA_DIR (its data directory: demo credentials and
// outbox), E2E_SCREENSHOTS=1 (writes docs/screenshots/inbox.png and dossier.png).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settled, violations } from './lib/axe.mjs';
import { launch } from './lib/browser.mjs';
import { mailsSoFar, waitForMail } from './lib/mail.mjs';
import { depositDossier, token } from './lib/operator.mjs';
import { parseCsv } from './lib/csv.mjs';
import { entries } from './lib/zip.mjs';

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

/** The page fits a 320 px wide screen: nothing wider than the viewport but the tables' own scroll. */
async function fitsNarrowScreen(name) {
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 320, height: 720 });
  await page.waitForTimeout(150);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  await accessible(`${name} at 320 px`);
  await page.setViewportSize(viewport);
  assert.ok(overflow <= 0, `${name}: the page is ${overflow} px wider than a 320 px screen`);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------------------------------------

const artefacts = mkdtempSync(join(tmpdir(), 'hubee-e2e-'));
const axeRuns = [];
const browser = await launch({ downloads: artefacts });
await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
let page = browser.context.pages()[0] ?? (await browser.context.newPage());
// Generous: CI machines are shared with Rust builds.
page.setDefaultTimeout(20_000);

const run = Date.now().toString(36);
const credentials = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8'));
const secretOf = (id) => credentials.apiClients.find(([client]) => client === id)[1];
const passwordOf = (email) => credentials.accounts.find(([address]) => address === email)[1];
const ADMIN = 'admin@valfleuri.example';
const VALFLEURI = { companyRegister: '11001401600015', branchCode: '75108' };
const agent = { email: `ines.nouvel.${run}@valfleuri.example`, password: `Agent-${run}-2026!` };

const file = (name, type, mimeType) => ({
  fileName: name,
  type,
  mimeType,
  bytes: readFileSync(join(samples, 'CERTDC', name)),
});
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
  await page.getByRole('heading', { name: "Vérification de l'OTP" }).waitFor();
  await page.getByText(`Saisissez le code envoyé à votre adresse électronique (${email})`).waitFor();
  const code = await waitForMail(dataDir, email, /mot de passe à usage unique.*?(\d{6})/s, { seen }).catch(() =>
    waitForMail(dataDir, email, /\b(\d{6})\b/, { seen }),
  );
  return code;
}

async function answerCode(code) {
  await page.getByLabel('Code de vérification').fill(code);
  await page.getByRole('button', { name: "S'authentifier" }).click();
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

const historyText = () => page.locator('.hubee-timeline').innerText();

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
  assert.equal(await page.evaluate(() => document.activeElement.name), 'email', 'the next Tab reaches the first field');
  await accessible('sign-in');
  await fitsNarrowScreen('sign-in');
});

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

await step('the administrator signs in with the code e-mailed to the address shown', async () => {
  const code = await signIn(ADMIN, adminPassword);
  await accessible("Vérification de l'OTP");
  await answerCode(code);
  await page.waitForURL(`${base}/comptes`);
  await page.getByRole('heading', { name: 'Gestion des comptes' }).waitFor();
  await page.getByRole('rowheader', { name: 'Martin' }).waitFor();
  await accessible('Gestion des comptes');
  await fitsNarrowScreen('Gestion des comptes');
});

await step('the administrator creates an agent with a habilitation (the button waits for valid fields)', async () => {
  await page.getByRole('link', { name: 'Ajouter un utilisateur' }).click();
  await page.getByRole('heading', { name: "Création d'un nouveau compte utilisateur" }).waitFor();
  const add = page.getByRole('button', { name: "Ajouter l'utilisateur" });
  assert.ok(await add.isDisabled(), 'the button is disabled while mandatory fields are empty');
  await page.getByLabel("Type d'acteur").selectOption('AGENT');
  await choose(page.getByLabel('Certificat de décès électronique (CERTDC)'));
  await page.getByLabel('Adresse électronique').fill(agent.email);
  await choose(page.getByLabel('Madame'));
  await page.getByRole('textbox', { name: 'Prénom *', exact: true }).fill('Inès');
  await page.getByRole('textbox', { name: 'Nom *', exact: true }).fill('Nouvel');
  await page.getByLabel('Fonction').fill("Officière d'état civil");
  const phone = page.getByLabel('Téléphone principal');
  await phone.fill('+33 0612345678');
  await phone.blur();
  await page.getByText("Numéro invalide. Avec l'indicatif du pays et sans le 0 initial").first().waitFor();
  assert.ok(await add.isDisabled(), 'a phone with the national 0 keeps the button disabled');
  await accessible('new account form with an error');
  await fitsNarrowScreen('new account form');
  await phone.fill('+33 6 12 34 56 78');
  await phone.blur();
  assert.ok(await add.isEnabled(), 'the button is enabled once the mandatory fields are valid');
  await add.click();
  await page.getByRole('heading', { name: 'Compte créé' }).waitFor();
  await page.getByRole('heading', { name: 'Compte utilisateur - Inès Nouvel' }).waitFor();
  assert.ok(await page.getByLabel('Certificat de décès électronique (CERTDC)').isChecked(), 'the habilitation is kept');
  assert.ok(await page.getByLabel('Gestion des télédossiers').isChecked(), "the agent's default role");
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
    const expected = dossiers.A.files.map((f) => `${f.fileName};${f.bytes.length};${sha256(f.bytes)}`).sort();
    assert.deepEqual(manifest.slice(1).sort(), expected);
    for (const f of dossiers.A.files) {
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

await step('the agent comments, deposits an attachment, and both show in the history', async () => {
  const comment = `Pièces vérifiées par l'état civil (${run})`;
  await page.getByLabel("Ajout d'un nouveau commentaire").fill(comment);
  await page.getByRole('button', { name: 'Ajouter le commentaire' }).click();
  await page.getByRole('heading', { name: 'Commentaire ajouté' }).waitFor();
  await page.locator('.hubee-timeline', { hasText: comment }).waitFor();
  await page
    .getByLabel('Déposer une pièce jointe')
    .setInputFiles({ name: 'réponse-mairie.txt', mimeType: 'text/plain', buffer: Buffer.from(`Réponse ${run}\n`) });
  await page.getByRole('button', { name: 'Déposer le fichier' }).click();
  await page.getByRole('heading', { name: 'Pièce jointe déposée' }).waitFor();
  await page.locator('.hubee-files__item', { hasText: 'réponse-mairie.txt' }).waitFor();
  await page.locator('.hubee-timeline', { hasText: 'Dépôt de pièce jointe' }).waitFor();
});

await step('the agent finishes the dossier: Traité, in the history', async () => {
  await changeStatus('Finaliser le traitement');
  await expectBadge('Traité');
  const history = await historyText();
  assert.match(history, /Statut modifié de « En cours » à « Traité »/);
  assert.match(history, /Statut modifié de « Nouveau » à « Reçu »/);
  if (screenshots) {
    mkdirSync(screenshots, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
    await settled(page);
    await page.screenshot({ path: join(screenshots, 'dossier.png'), fullPage: true });
  }
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
  const text = await summary.innerText();
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
  if (screenshots) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
    await settled(page);
    await page.screenshot({ path: join(screenshots, 'inbox.png'), fullPage: true });
  }
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
  await page.getByRole('link', { name: "Modifier l'abonnement EtatCivil" }).click();
  await page.getByRole('heading', { name: "Abonnement - Demande d'acte d'état civil" }).waitFor();
  await accessible('Abonnement');
  await fitsNarrowScreen('Abonnement');
  await page.getByRole('button', { name: "Modifier la date d'activation" }).click();
  const dialog = page.getByRole('dialog', { name: "Activer l'abonnement" });
  await dialog.waitFor();
  await settled(page); // the DSFR moves the focus into the dialog as it opens
  const today = await dialog.getByLabel("Date d'activation").inputValue();
  assert.match(today, /^\d{4}-\d{2}-\d{2}$/, "today's date is proposed");
  await accessible('dialog "Activer l\'abonnement"');
  await dialog.getByRole('button', { name: 'Activer', exact: true }).click();
  await page.getByRole('heading', { name: 'Abonnement activé' }).waitFor();
  await page.locator('.hubee-details', { hasText: 'Statut' }).getByText('Actif').waitFor();
});

await step('in API mode the credentials are shown once, copied, and obtain a token', async () => {
  await choose(page.getByLabel('API', { exact: true }));
  await page.getByRole('button', { name: "Enregistrer la modalité d'accès" }).click();
  await page.getByRole('heading', { name: "Identifiants de l'API : copiez-les maintenant" }).waitFor();
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
  await page.getByRole('heading', { name: "Identifiants de l'API : copiez-les maintenant" }).waitFor();
  const secret = await page.locator('[data-credential="client_secret"]').inputValue();
  assert.notEqual(secret, apiMode.secret);
  await page.getByText("L'ancien secret reste valable jusqu'au").waitFor();
  assert.ok(await token(base, apiMode.clientId, secret, 'SI'));
  apiMode.previous = apiMode.secret;
  apiMode.secret = secret;
});

await step('the previous secret is revoked at once, and every change of the API access is in the history', async () => {
  assert.ok(await token(base, apiMode.clientId, apiMode.previous, 'SI'), 'the 24-hour overlap');
  await page.getByRole('button', { name: "Révoquer l'ancien secret maintenant" }).click();
  const dialog = page.getByRole('dialog', { name: "Révoquer l'ancien secret" });
  await dialog.waitFor();
  await settled(page);
  await accessible('dialog "Révoquer l\'ancien secret"');
  await dialog.getByRole('button', { name: "Révoquer l'ancien secret" }).click();
  await page.getByRole('heading', { name: "L'ancien secret est révoqué" }).waitFor();
  await assert.rejects(token(base, apiMode.clientId, apiMode.previous, 'SI'), /401/, 'revoked at once');
  assert.ok(await token(base, apiMode.clientId, apiMode.secret, 'SI'), 'the new secret still works');
  const history = page.getByRole('table', { name: /Historique de l'accès API/ });
  await history.getByText('Ancien secret révoqué').waitFor();
  await history.getByText(/Secret régénéré/).waitFor();
  await history.getByText(/Modalité d'accès : API, secret émis/).waitFor();
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
    await page.getByRole('link', { name: "Modifier l'abonnement CERTDC" }).click();
    await page.getByRole('heading', { name: 'Abonnement - Certificat de décès électronique' }).waitFor();
    const deliveries = page.getByRole('table', { name: 'Les 20 derniers envois' });
    assert.ok(
      (await deliveries.getByText('Envoyé').count()) >= Object.keys(dossiers).length,
      'a new-dossier e-mail per deposit',
    );
    const delegate = `editeur.${run}@logiciel.example`;
    await page.getByLabel('Adresse électronique du délégué technique').fill(delegate);
    await page.getByRole('textbox', { name: /^Prénom/ }).fill('Sam');
    await page.getByRole('textbox', { name: /^Nom/ }).fill('Éditeur');
    await page.getByRole('button', { name: 'Enregistrer le délégué technique' }).click();
    await page.getByText(`Délégué technique actuel : ${delegate}.`).waitFor();
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
  await page.getByLabel("Type d'acteur").selectOption('AGENT');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(/actorType=AGENT/);
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  const agents = await exportCsv();
  assert.equal(agents.rows.length, await page.locator('table tbody tr').count());
  assert.ok(agents.rows.length > 0 && agents.rows.every((r) => r["Type d'acteur"] === 'Agent'));
  await accessible('Gestion des comptes, filtered');
});

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

await step('the administrator gives the agent a role, suspends the account and reactivates it', async () => {
  await page.getByRole('link', { name: 'Gestion des comptes' }).first().click();
  await page.getByRole('link', { name: 'Modifier le compte de Inès Nouvel' }).click();
  await page.getByRole('heading', { name: 'Compte utilisateur - Inès Nouvel' }).waitFor();
  await choose(page.getByLabel('Consultation des abonnements'));
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
  await signOut();
});

const DELEGATE = 'support@editeur-demo.example';

await step('the administrator names a delegate of another organisation, who is invited, not added', async () => {
  await answerCode(await signIn(ADMIN, adminPassword));
  await page.getByRole('link', { name: 'Gestion des comptes' }).first().click();
  await page.getByRole('link', { name: 'Ajouter un utilisateur' }).click();
  await page.getByRole('heading', { name: "Création d'un nouveau compte utilisateur" }).waitFor();
  await page.getByLabel("Type d'acteur").selectOption('TECHNICAL_DELEGATE');
  await page.getByLabel('Adresse électronique').fill(DELEGATE);
  await page.getByRole('textbox', { name: 'Prénom *', exact: true }).fill('Samia');
  await page.getByRole('textbox', { name: 'Nom *', exact: true }).fill('Renaud');
  await page.getByLabel('Téléphone principal').fill('+33 1 23 45 67 89');
  await page.getByRole('button', { name: "Ajouter l'utilisateur" }).click();
  await page.getByRole('heading', { name: 'Délégué technique invité' }).waitFor();
  await waitForMail(dataDir, DELEGATE, /Mairie de Valfleuri \(SIRET \d{14}\) vous a désigné/);
  await signOut();
});

await step('the delegate accepts the invitation on the home page, then serves both organisations', async () => {
  await answerCode(await signIn(DELEGATE, passwordOf(DELEGATE)));
  await page.getByRole('heading', { name: 'Invitations à intervenir comme délégué technique' }).waitFor();
  await accessible('home page with an invitation');
  await page.getByRole('button', { name: "Accepter l'invitation de Mairie de Valfleuri" }).click();
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
