// The e-mails the local hub writes to `<data dir>/outbox/*.eml`: the newest one to an address,
// its plain-text part decoded (quoted-printable, UTF-8), and what the walk needs from it.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function decodeQuotedPrintable(text) {
  const bytes = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i += 1) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The plain-text body of an .eml message (multipart/alternative or not). */
export function plainText(eml) {
  const [, boundary] = /boundary="?([^";\r\n]+)"?/i.exec(eml) ?? [];
  const parts = boundary ? eml.split(`--${boundary}`) : [eml];
  const part = parts.find((p) => /Content-Type:\s*text\/plain/i.test(p)) ?? parts[0];
  const split = part.search(/\r?\n\r?\n/);
  const headers = part.slice(0, split);
  const body = part.slice(split).trim();
  if (/Content-Transfer-Encoding:\s*quoted-printable/i.test(headers)) return decodeQuotedPrintable(body);
  if (/Content-Transfer-Encoding:\s*base64/i.test(headers)) return Buffer.from(body, 'base64').toString('utf8');
  return body;
}

function messagesTo(dataDir, address) {
  const dir = join(dataDir, 'outbox');
  let names = [];
  try {
    // Oldest first by the time written: an outbox item's message is named by the item, the
    // others by their time.
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.eml'))
      .map((name) => ({ name, written: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => a.written - b.written || a.name.localeCompare(b.name))
      .map(({ name }) => name);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, eml: readFileSync(join(dir, name), 'utf8') }))
    .filter(({ eml }) => new RegExp(`^To:.*${address.replace(/[.+]/g, '\\$&')}`, 'mi').test(eml));
}

/**
 * Waits for a new message to `address` (one not in `seen`, names of messages already read) whose
 * text matches `pattern`; returns the first capture group.
 */
export async function waitForMail(dataDir, address, pattern, { seen = new Set(), timeout = 10_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const { name, eml } of messagesTo(dataDir, address).reverse()) {
      if (seen.has(name)) continue;
      const match = pattern.exec(plainText(eml));
      if (match) {
        seen.add(name);
        return match[1];
      }
    }
    if (Date.now() > deadline) throw new Error(`no e-mail to ${address} matching ${pattern} within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The names of the messages to `address` so far (to wait for a newer one). */
export function mailsSoFar(dataDir, address) {
  return new Set(messagesTo(dataDir, address).map((m) => m.name));
}
