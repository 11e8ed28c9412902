// "Déposer une pièce jointe" (api.js): inline when small enough, else through an upload URL,
// then waiting for the hub to send the deposit. `fetch` is replaced by a scripted hub.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, INLINE_DEPOSIT_LIMIT, dossiers } from '../src/js/api.js';

const CASE = '00000000-0000-4000-8000-00000000ca5e';
const EVENT = '00000000-0000-4000-8000-0000000e7e07';
const UPLOAD_URL = 'https://objects.example/cases/x?signature=s';

function json(status, body) {
  return new Response(body === undefined ? '' : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** Replaces `fetch` with `answer(url, init)`, recording each call. */
function hub(answer) {
  const calls = [];
  globalThis.fetch = async (url, init = {}) => {
    calls.push({ url: String(url), method: init.method, headers: init.headers, body: init.body, init });
    return answer(String(url), init, calls);
  };
  return calls;
}

const file = (size) => new File([new Uint8Array(size).fill(37)], 'scan complet.pdf', { type: 'application/pdf' });

test('a small file goes in the deposit request itself', async () => {
  const calls = hub(() => json(201, { id: EVENT, status: 'SENT' }));
  const event = await dossiers.deposit(CASE, file(10));
  assert.equal(event.id, EVENT);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, `/portail/v1/cases/${CASE}/attachments`);
  assert.equal(calls[0].headers['X-File-Name'], 'scan%20complet.pdf');
});

function largeDepositHub({ putStatus = 200, history }) {
  return hub((url, init, calls) => {
    if (url.endsWith('/attachments/upload-url')) {
      return json(201, {
        eventId: EVENT,
        attachmentId: 'a',
        url: UPLOAD_URL,
        method: 'PUT',
        headers: { 'Content-Type': 'application/pdf', 'If-None-Match': '*' },
        expiresAt: '2026-03-01T08:15:00.000Z',
        maxSize: 0,
      });
    }
    if (url === UPLOAD_URL) return new Response('', { status: putStatus });
    if (url.endsWith('/history')) return json(200, { entries: history(calls) });
    if (url === `/portail/v1/cases/${CASE}`)
      return json(200, { events: [{ id: EVENT, status: 'SENT', attachments: [{ id: 'a' }] }] });
    return json(404, { errors: [{ code: 404, message: 'Not Found' }] });
  });
}

test('a large file is PUT to its upload URL, then the deposit is awaited until sent', async () => {
  const size = INLINE_DEPOSIT_LIMIT + 1;
  let polls = 0;
  const calls = largeDepositHub({
    history: () => [{ kind: 'EVENT', eventId: EVENT, status: ++polls < 2 ? 'IN_PROGRESS' : 'SENT' }],
  });
  const event = await dossiers.deposit(CASE, file(size));
  assert.deepEqual(event, { id: EVENT, status: 'SENT', attachments: [{ id: 'a' }] });
  const ask = calls.find((c) => c.url.endsWith('/upload-url'));
  const asked = JSON.parse(ask.body);
  assert.equal(asked.fileName, 'scan complet.pdf');
  assert.equal(asked.size, size);
  assert.equal(asked.mimeType, 'application/pdf');
  assert.match(asked.digest, /^[A-Za-z0-9+/]{43}=$/);
  const put = calls.find((c) => c.url === UPLOAD_URL);
  assert.equal(put.method, 'PUT');
  assert.deepEqual(
    put.headers,
    { 'Content-Type': 'application/pdf', 'If-None-Match': '*' },
    'the headers the hub names',
  );
  assert.equal(put.init.credentials, 'omit', 'no cookie to the object store');
  assert.ok(!calls.some((c) => c.url.endsWith('/attachments') && c.method === 'POST'), 'not inline');
});

test('a 413 to the inline deposit falls back on the upload URL', async () => {
  const calls = largeDepositHub({ history: () => [{ kind: 'EVENT', eventId: EVENT, status: 'SENT' }] });
  const inline = globalThis.fetch;
  globalThis.fetch = async (url, init) =>
    String(url).endsWith('/attachments') && init.method === 'POST'
      ? json(413, {
          errors: [
            {
              code: 413,
              message:
                'The binary (10 bytes) is larger than the 5 bytes a request to this API carries: ask for an upload URL',
            },
          ],
        })
      : inline(url, init);
  const event = await dossiers.deposit(CASE, file(10));
  assert.equal(event.id, EVENT);
  assert.ok(calls.some((c) => c.url === UPLOAD_URL));
});

test('a refused file (the deposit withdrawn) or a failed PUT is an error in French', async () => {
  largeDepositHub({ history: () => [] });
  await assert.rejects(dossiers.deposit(CASE, file(INLINE_DEPOSIT_LIMIT + 1)), (e) => {
    assert.ok(e instanceof ApiError);
    assert.match(e.message, /le dépôt a été annulé/);
    return true;
  });
  largeDepositHub({ putStatus: 403, history: () => [] });
  await assert.rejects(dossiers.deposit(CASE, file(INLINE_DEPOSIT_LIMIT + 1)), (e) => {
    assert.match(e.message, /L’envoi du fichier n’a pas abouti/);
    return true;
  });
});
