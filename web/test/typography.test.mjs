// French typography in the portal's UI strings: a typographic apostrophe (’) rather than the
// ASCII one between letters, and a non-breaking space (U+00A0, or `\u00a0` in the source) rather
// than a plain one before ":", ";", "!" and "?". The string literals of the front's modules are
// read with a small tokenizer (comments and regular expressions skipped). Every module is
// checked.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** The hub's own English texts the front compares with, which keep the hub's spelling. */
const API_TEXTS = new Set([
  'Bad Request : Validation failed.',
  "This account is the organisation's last active local administrator: name another local administrator before removing it",
]);

/** The string literals of a module's source (template literals' text parts), with their line. */
export function stringLiterals(source) {
  const found = [];
  let i = 0;
  let line = 1;
  let last = ''; // The last significant character, to tell a division from a regular expression.
  const n = source.length;
  const read = (quote) => {
    const start = line;
    const from = i;
    let text = '';
    i += 1;
    while (i < n && source[i] !== quote) {
      if (source[i] === '\\') {
        text += source.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (quote === '`' && source[i] === '$' && source[i + 1] === '{') {
        // Skip the expression: its own strings are rare enough in the portal's templates.
        let depth = 1;
        i += 2;
        while (i < n && depth > 0) {
          if (source[i] === '{') depth += 1;
          else if (source[i] === '}') depth -= 1;
          else if (source[i] === '\n') line += 1;
          i += 1;
        }
        text += ' ';
        continue;
      }
      if (source[i] === '\n') line += 1;
      text += source[i];
      i += 1;
    }
    i += 1;
    found.push({ text, line: start, from, to: i });
  };
  while (i < n) {
    const c = source[i];
    if (c === '\n') {
      line += 1;
      i += 1;
    } else if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i += 1;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      line += (source.slice(i, stop).match(/\n/g) ?? []).length;
      i = stop;
    } else if (c === '/' && (last === '' || '(,=:[!&|?{};+'.includes(last))) {
      // A regular expression: skip it, classes included.
      i += 1;
      let inClass = false;
      while (i < n && (inClass || source[i] !== '/') && source[i] !== '\n') {
        if (source[i] === '\\') i += 1;
        else if (source[i] === '[') inClass = true;
        else if (source[i] === ']') inClass = false;
        i += 1;
      }
      i += 1;
      last = 'r';
    } else if (c === "'" || c === '"' || c === '`') {
      read(c);
      last = 's';
    } else {
      if (!/\s/.test(c)) last = c;
      i += 1;
    }
  }
  return found;
}

/** What is wrong with a UI string's typography: `[]` when nothing. */
export function typographyProblems(text) {
  const problems = [];
  if (/\p{L}'\p{L}/u.test(text)) problems.push('an ASCII apostrophe between letters (’ expected)');
  // A plain space before a French high punctuation mark, in a sentence (not "a ? b : c" code).
  if (/\p{L}[»)]? [:;!?](\s|$)/u.test(text) && /\p{L}{3,}/u.test(text)) {
    problems.push('a plain space before ":", ";", "!" or "?" (a non-breaking one expected)');
  }
  return problems;
}

function modules(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

test('the tokenizer reads strings, not comments or regular expressions', () => {
  const found = stringLiterals(
    "// l'accueil : ici\nconst a = 'L’accueil';\n/* d'un */ const b = /['’]/g.test(\"x\");\nconst c = `n'${a}`;",
  );
  assert.deepEqual(
    found.map((s) => [s.text, s.line]),
    [
      ['L’accueil', 2],
      ['x', 3],
      ["n' ", 4],
    ],
  );
});

test('the typography check finds the usual mistakes and lets code through', () => {
  assert.equal(typographyProblems("L'accueil du portail").length, 1);
  assert.equal(typographyProblems('Besoin d’aide ?').length, 1);
  assert.equal(typographyProblems('Statut : traité').length, 1);
  assert.deepEqual(typographyProblems('Besoin d’aide\u00a0?'), []);
  assert.deepEqual(typographyProblems('Statut\u00a0: traité'), []);
  assert.deepEqual(typographyProblems('a:hover'), []);
  assert.deepEqual(typographyProblems('fr-icon-question-line'), []);
});

test('the UI strings of the front use French typography', () => {
  const wrong = [];
  for (const path of modules(join(src, 'js'))) {
    const name = relative(src, path).split('\\').join('/');
    for (const { text, line } of stringLiterals(readFileSync(path, 'utf8'))) {
      if (API_TEXTS.has(text)) continue;
      for (const problem of typographyProblems(text)) wrong.push(`${name}:${line}: ${problem}: ${text.slice(0, 80)}`);
    }
  }
  assert.deepEqual(wrong, []);
});
