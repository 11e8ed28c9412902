// The operator side of the exchange, through the HubEE v1 API (README, "A short tour"): an
// operator's token, then a folder deposited, its files uploaded and the folder completed, so
// that a dossier arrives in a mairie's portal inbox.

import { createHash } from 'node:crypto';

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest();
}

/** An access token for a client of the hub (`POST /token`, HTTP Basic). */
export async function token(base, clientId, secret, scope) {
  const response = await fetch(`${base}/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`POST /token for ${clientId}: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function call(base, accessToken, method, path, { json, bytes, headers = {} } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${accessToken}`,
      ...(json ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: json ? JSON.stringify(json) : bytes,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Deposits one dossier for one mairie and completes it.
 * `files`: [{fileName, type, mimeType, bytes}]. Returns {folderId, caseId, number, files}.
 */
export async function depositDossier(base, accessToken, { processCode, number, applicant, recipient, files }) {
  const folder = await call(base, accessToken, 'POST', '/teledossiers/v1/folders', {
    json: {
      externalId: number.slice(0, 30),
      processCode,
      applicant,
      cases: [{ externalId: number, recipient: { type: 'SI', ...recipient } }],
      attachments: files.map((f) => ({
        fileName: f.fileName,
        type: f.type,
        size: f.bytes.length,
        mimeType: f.mimeType,
        recipients: [number],
      })),
    },
  });
  for (const [i, file] of files.entries()) {
    await call(
      base,
      accessToken,
      'PUT',
      `/teledossiers/v1/folders/${folder.id}/attachments/${folder.attachments[i].id}`,
      {
        bytes: file.bytes,
        headers: { digest: sha256(file.bytes).toString('base64') },
      },
    );
  }
  await call(base, accessToken, 'PATCH', `/teledossiers/v1/folders/${folder.id}`, {
    json: { globalStatus: 'HUBEE_COMPLETED' },
  });
  return { folderId: folder.id, caseId: folder.cases[0].id, number, files };
}

/** Sets a case's status as its operator (`PATCH /cases/{id}`), e.g. `CLOSED` once it is over. */
export async function setCaseStatus(base, accessToken, caseId, status) {
  return call(base, accessToken, 'PATCH', `/teledossiers/v1/cases/${caseId}`, { json: { status } });
}
