// What the page steers and shares, free of the DOM (node tests it).
import { isPersonal } from './personal.mjs';

export const KEYS = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
export const MODES = [
  ['ionian', 'major (ionian)'],
  ['dorian', 'dorian'],
  ['phrygian', 'phrygian'],
  ['lydian', 'lydian'],
  ['mixolydian', 'mixolydian'],
  ['aeolian', 'minor (aeolian)'],
  ['pentatonic-major', 'pentatonic major'],
  ['pentatonic-minor', 'pentatonic minor'],
];
export const BPM = [30, 180];

// A mode's label ("minor (aeolian)"), or the id itself for one not listed.
export const modeLabel = (mode) => (MODES.find(([id]) => id === mode) || [mode, mode])[1];
// Palette names look like this; which exist, the server says (/api/status
// "palettes"), so the page holds no list of its own.
const PALETTE_NAME = /^[a-z]{1,16}$/;

// The picker's options from /api/status's "palettes" ([{name, about}]):
// [value, label, title] for each well-formed entry, in the server's order.
export function paletteOptions(palettes) {
  if (!Array.isArray(palettes)) return [];
  return palettes
    .filter((p) => p && typeof p.name === 'string' && PALETTE_NAME.test(p.name))
    .map((p) => [p.name, p.name, typeof p.about === 'string' ? p.about : '']);
}

// Volume slider 0..1 to gain: 50 dB of range on a loudness-like scale
// (equal slider steps sound like equal steps), and true silence at 0.
export function volumeGain(v) {
  if (!(v > 0)) return 0;
  return Math.pow(10, (50 * (Math.min(1, v) - 1)) / 20);
}

// The params a share link carries, checked as the server would; unknown or
// bad values are left out (and named in `bad`).
export function paramsFromSearch(search) {
  const q = new URLSearchParams(search);
  const out = {}, bad = [];
  if (q.has('station')) {
    const s = q.get('station');
    if (/^[a-z0-9-]{1,32}$/.test(s)) out.station = s;
    else bad.push('station');
  }
  if (q.has('key')) {
    const k = q.get('key');
    if (KEYS.includes(k)) out.key = k;
    else bad.push('key');
  }
  if (q.has('mode')) {
    const m = q.get('mode');
    if (MODES.some(([id]) => id === m)) out.mode = m;
    else bad.push('mode');
  }
  if (q.has('palette')) {
    const p = q.get('palette');
    if (PALETTE_NAME.test(p)) out.palette = p;
    else bad.push('palette');
  }
  if (q.has('bpm')) {
    const b = Number(q.get('bpm'));
    if (q.get('bpm') !== '' && b >= BPM[0] && b <= BPM[1]) out.bpm = b;
    else bad.push('bpm');
  }
  if (q.has('intensity')) {
    const x = Number(q.get('intensity'));
    if (q.get('intensity') !== '' && x >= 0 && x <= 1) out.intensity = x;
    else bad.push('intensity');
  }
  // A personal station's seed: said so that `lull render --seed` can make
  // it again; never steered (a station keeps the seed it started with).
  if (q.has('seed')) {
    const d = q.get('seed');
    if (/^[0-9]{1,19}$/.test(d)) out.seed = d;
    else bad.push('seed');
  }
  return { params: out, bad };
}

// A link that reproduces the station and its params.
export function shareLink(base, station, p) {
  const u = new URL(base);
  u.search = '';
  u.hash = '';
  u.searchParams.set('station', station);
  u.searchParams.set('key', p.key);
  u.searchParams.set('mode', p.mode);
  if (p.palette) u.searchParams.set('palette', p.palette);
  u.searchParams.set('bpm', String(Math.round(p.bpm)));
  u.searchParams.set('intensity', String(Math.round(p.intensity * 100) / 100));
  if (isPersonal(station) && p.seed) u.searchParams.set('seed', String(p.seed));
  return u.toString();
}

// The fields of `want` that differ from `have` (what a control message sends).
export function changes(want, have) {
  const out = {};
  for (const k of ['key', 'mode', 'palette', 'bpm', 'intensity'])
    if (want[k] !== undefined && want[k] !== have[k]) out[k] = want[k];
  return out;
}

// The player's reconnect delay: quick at first, doubling to 10 s, with
// jitter so that a restarted server is not met by every listener at once.
export function backoffMs(attempt, random = Math.random) {
  const base = Math.min(10000, 100 * Math.pow(2, attempt));
  return Math.round(base * (0.5 + 0.5 * random()));
}

// Hue for a key around the circle of fifths, so related keys look related;
// kept to the night colours (teal to violet).
export function keyHue(key) {
  const i = KEYS.indexOf(key);
  return i < 0 ? 210 : 170 + ((i * 7) % 12) * 11;
}

const WHO = { listener: 'a listener', operator: 'the operator', timeline: 'the timeline' };

// A param's value as the page shows it.
function valueText(field, p) {
  const v = p[field];
  if (v === undefined) return '?';
  if (field === 'bpm') return `${Math.round(v)} bpm`;
  if (field === 'intensity') return Number(v).toFixed(2);
  if (field === 'mode') return modeLabel(v);
  return String(v);
}

// How long ago, in words: "just now", "40 s ago", "3 min ago", "2 h ago".
export function agoText(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

// The last change of a station's params in words, "key changed to D by a
// listener · 10 s ago" (several: "key changed to D, mode to dorian by ...").
// change: the server's {by, fields, ago_ms} or null; params: the station's
// now; ms: how long ago the change was. '' for none or a malformed one.
export function changeText(change, params, ms) {
  if (!change || !Array.isArray(change.fields) || !change.fields.length) return '';
  const fields = change.fields.filter((f) => ['key', 'mode', 'bpm', 'intensity', 'palette'].includes(f));
  if (!fields.length) return '';
  const what = fields.map((f, i) => `${f === 'bpm' ? 'tempo' : f}${i ? '' : ' changed'} to ${valueText(f, params)}`).join(', ');
  return `${what} by ${WHO[change.by] || 'someone'} · ${agoText(ms)}`;
}

// What a share link asks before it steers a shared station for everyone:
// "This link would change the music for everyone listening to Night: key
// D, intensity 0.70."
export function linkQuestion(fields, title) {
  const what = Object.keys(fields).map((f) => `${f === 'bpm' ? 'tempo' : f} ${valueText(f, fields)}`).join(', ');
  return `This link would change the music for everyone listening to ${title}: ${what}.`;
}
