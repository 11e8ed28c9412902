// Dates, sizes and names as the portal shows them: French, in Paris time, whatever the
// browser's own time zone.

const ZONE = 'Europe/Paris';

const dayFormat = new Intl.DateTimeFormat('fr-FR', {
  timeZone: ZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
});
const timeFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' });
const isoParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 2 });

function parse(value) {
  if (!value) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `09/06/2021`, or an empty string. */
export function day(value) {
  const date = parse(value);
  return date ? dayFormat.format(date) : '';
}

/** `09/06/2021 à 20:10`, as the guides show dates. */
export function dateTime(value) {
  const date = parse(value);
  return date ? `${dayFormat.format(date)} à ${timeFormat.format(date)}` : '';
}

/** The machine-readable value of a `<time datetime>`. */
export function isoDateTime(value) {
  const date = parse(value);
  return date ? date.toISOString() : '';
}

/** `3,33 ko`, `1,2 Mo`: sizes as the guides show them. */
export function size(bytes) {
  if (typeof bytes !== 'number' || Number.isNaN(bytes)) return '';
  if (bytes < 1024) return `${bytes} o`;
  const units = ['ko', 'Mo', 'Go', 'To'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${decimal.format(value)} ${units[unit]}`;
}

/** `DUBOIS Angela`: the family name in capitals, as the guides name the person concerned. */
export function personName(person) {
  if (!person) return '';
  return [person.lastName?.toLocaleUpperCase('fr-FR'), person.firstName].filter(Boolean).join(' ');
}

function parisParts(date) {
  return Object.fromEntries(isoParts.formatToParts(date).map((p) => [p.type, p.value]));
}

/** Today in Paris, `YYYY-MM-DD` (a date field's value). */
export function todayInParis(now = new Date()) {
  const p = parisParts(now);
  return `${p.year}-${p.month}-${p.day}`;
}

/** A `YYYY-MM-DD` day as the date-time of its midnight in Paris (`2026-03-29T00:00:00+01:00`). */
export function parisMidnight(dayValue) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dayValue ?? '');
  if (!match) return null;
  const [, y, m, d] = match.map(Number);
  const utcGuess = Date.UTC(y, m - 1, d);
  const p = parisParts(new Date(utcGuess));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
  const offsetMinutes = Math.round((asUtc - utcGuess) / 60000);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${dayValue}T00:00:00${sign}${hh}:${mm}`;
}

/** The `YYYY-MM-DD` day of a date-time in Paris, for a date field. */
export function parisDay(value) {
  const date = parse(value);
  return date ? todayInParis(date) : '';
}

/** `1 télédossier`, `3 télédossiers`. */
export function plural(count, singular, pluralForm = `${singular}s`) {
  return `${count} ${count > 1 ? pluralForm : singular}`;
}
