// The walk's steps for the help and footer pages (signed out), unknown addresses, the icons'
// style sheets, a list loading on a slow network and the site map signed in (docs/WEB.md,
// "Footer, help and error pages"). `walker`: `{step, page(), accessible, fitsNarrowScreen, base}`
// from walk.mjs.

import assert from 'node:assert/strict';

/** Signed out, on the sign-in page; back there at the end. */
export async function walkInformationPages(walker) {
  const { step, accessible, fitsNarrowScreen, base } = walker;
  const page = walker.page();
  const footer = () => page.getByRole('contentinfo');
  /** An information page of the footer or header: its title, a text it must say, axe at each width. */
  async function informationPage(link, heading, says) {
    await link.click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    for (const text of says) await page.getByText(text).first().waitFor();
    await accessible(heading);
    await fitsNarrowScreen(heading, 375);
    await fitsNarrowScreen(heading);
  }

  await step('the footer leads to the pages the DSFR and the law ask for, and gives the support address', async () => {
    await footer().getByRole('link', { name: 'support@hubee-demo.example' }).waitFor();
    await informationPage(
      footer().getByRole('link', { name: /^Accessibilité\s*:\s*partiellement conforme$/ }),
      'Déclaration d’accessibilité',
      ['partiellement conforme', 'Défenseur des droits, Libre réponse 71120', 'Critère 13.1'],
    );
    await informationPage(footer().getByRole('link', { name: 'Mentions légales' }), 'Mentions légales', [
      /région eu-west-3, à Paris/,
    ]);
    await informationPage(footer().getByRole('link', { name: 'Données personnelles' }), 'Données personnelles', [
      /supprimé avec tout son historique 365 jours/,
      /copie scellée, non modifiable, est gardée cinq ans/,
    ]);
    await informationPage(footer().getByRole('link', { name: 'Gestion des cookies' }), 'Gestion des cookies', [
      '__Host-hubee_session',
      'Pourquoi aucun bandeau ne vous demande votre accord',
    ]);
    await informationPage(footer().getByRole('link', { name: 'Plan du site' }), 'Plan du site', [
      'Aide et informations',
    ]);
    const main = page.getByRole('main');
    await main.getByRole('link', { name: 'Connexion', exact: true }).waitFor();
    assert.equal(await main.getByRole('link', { name: 'Télédossiers' }).count(), 0, 'signed out: no inbox in the plan');
  });

  await step(
    '"Aide" in the header: first steps, subscriptions, statuses, questions and the support address',
    async () => {
      await informationPage(page.getByRole('banner').getByRole('link', { name: 'Aide' }).first(), 'Aide', [
        'Premiers pas d’un administrateur local',
        'Abonner votre service à une démarche',
      ]);
      const statuses = page.getByRole('table', { name: 'Les statuts d’un télédossier et ce qu’ils signifient' });
      assert.equal(await statuses.getByRole('row').count(), 9, 'a header row and eight statuses');
      const question = page.getByRole('button', {
        name: 'Le code de vérification reçu par courriel ne fonctionne pas.',
      });
      await question.click();
      await page.getByText('ne sert qu’une fois').waitFor();
      assert.equal(await question.getAttribute('aria-expanded'), 'true');
      await accessible('Aide, a question open');
      await page.getByRole('main').getByRole('link', { name: 'support@hubee-demo.example' }).waitFor();
    },
  );

  await step('a browser at an unknown address gets a French page with the header, a way back and help', async () => {
    for (const path of ['/page-inexistante', '/teledossiers/']) {
      const response = await page.goto(`${base}${path}`);
      assert.equal(response.status(), 404, `${path} keeps its 404`);
      await page.getByRole('heading', { level: 1, name: 'Page non trouvée' }).waitFor();
      await page.getByRole('banner').getByText('Portail HubEE').waitFor();
      await page.getByRole('main').getByRole('link', { name: 'support@hubee-demo.example' }).waitFor();
      await accessible(`unknown address ${path}`);
    }
    await fitsNarrowScreen('unknown address', 375);
    const api = await page.evaluate(async () => {
      const r = await fetch('/page-inexistante', { headers: { Accept: 'application/json' } });
      return [r.status, (await r.json()).errors?.[0]?.message];
    });
    assert.deepEqual(api, [404, 'Not Found'], 'an API client keeps the JSON answer');
    await page.getByRole('link', { name: 'Retour à l’accueil du portail' }).click();
    await page.getByRole('heading', { name: 'Connexion au Portail HubEE' }).waitFor();
  });

  await step('every DSFR icon the pages use has its style sheet: "Modifier le statut" shows a pencil', async () => {
    const masks = await page.evaluate(() =>
      ['fr-icon-edit-line', 'fr-icon-question-line', 'fr-icon-filter-line', 'fr-icon-arrow-left-line'].map((name) => {
        const probe = document.createElement('span');
        probe.className = name;
        document.body.append(probe);
        const style = getComputedStyle(probe, '::before');
        const mask = style.maskImage || style.webkitMaskImage;
        probe.remove();
        return [name, mask];
      }),
    );
    for (const [name, mask] of masks) assert.match(mask, /url\(.*\.svg/, `${name} has its image`);
  });
}

/** Signed in as the local administrator, on "Gestion des comptes". */
export async function walkLoadingAndSiteMap(walker) {
  const { step, accessible } = walker;
  const page = walker.page();
  const footer = () => page.getByRole('contentinfo');
  await step('on a slow network a list says it is loading: search busy, its buttons refused meanwhile', async () => {
    const slow = async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    };
    await page.route('**/portail/v1/accounts?*', slow);
    try {
      const search = page.getByRole('search', { name: 'Filtrer les comptes' });
      await search.getByRole('button', { name: 'Filtrer' }).click();
      await search.getByRole('status').getByText('Recherche en cours…').waitFor();
      assert.equal(await search.getAttribute('aria-busy'), 'true');
      assert.equal(await search.getByRole('button', { name: 'Filtrer' }).getAttribute('aria-disabled'), 'true');
      await accessible('Gestion des comptes, loading');
      await page.waitForFunction(() => !document.querySelector('form[role="search"][aria-busy]'));
      assert.equal(await search.getByRole('button', { name: 'Filtrer' }).getAttribute('aria-disabled'), null);
      assert.equal((await search.getByRole('status').textContent()).trim(), '');
    } finally {
      await page.unroute('**/portail/v1/accounts?*', slow);
    }
  });

  await step('signed in, the site map links the sections of the administrator and not the national ones', async () => {
    await footer().getByRole('link', { name: 'Plan du site' }).click();
    const main = page.getByRole('main');
    await main.getByRole('link', { name: 'Gestion des comptes' }).waitFor();
    await main.getByRole('link', { name: 'Gestion des abonnements' }).waitFor();
    assert.equal(await main.getByRole('link', { name: 'Organisations' }).count(), 0);
    assert.equal(await main.getByRole('link', { name: 'Connexion', exact: true }).count(), 0);
    await accessible('Plan du site, signed in');
  });
}
