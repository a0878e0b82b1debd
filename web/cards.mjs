// The station cards, free of the DOM (node tests it): each station from
// /api/stations (or /api/status) checked into what a card shows, and a
// colour from its key and mode.
import { KEYS, modeLabel } from './params.mjs';

const NAME = /^[a-z0-9-]{1,32}$/;

// How bright each mode sounds, 0 (darkest) to 1: Persichetti's order from
// phrygian to lydian, the pentatonics beside the scales they come from.
const BRIGHTNESS = {
  phrygian: 0, aeolian: 0.2, 'pentatonic-minor': 0.3, dorian: 0.45,
  mixolydian: 0.6, 'pentatonic-major': 0.75, ionian: 0.8, lydian: 1,
};

// A card's colour as {hue (degrees), light (%)}: the key's place on the
// circle of fifths picks the hue, 30 degrees a fifth (neighbouring keys look
// related, a tritone apart opposite), and the mode the lightness (a minor
// mode darker than its major), kept to the page's night colours.
export function cardColour(key, mode) {
  const i = KEYS.indexOf(key);
  const fifths = i < 0 ? 0 : (i * 7) % 12;
  const b = mode in BRIGHTNESS ? BRIGHTNESS[mode] : 0.5;
  return { hue: (200 + fifths * 30) % 360, light: Math.round(16 + 16 * b) };
}

// What a card says is playing: "D dorian · Dm7" (where the music is now,
// which a section may have taken away from home).
export function nowText(now, params) {
  const key = (now && now.key) || (params && params.key);
  const mode = (now && now.mode) || (params && params.mode);
  if (!key || !mode) return '–';
  return `${key} ${modeLabel(mode)}${now && now.chord ? ` · ${now.chord}` : ''}`;
}

export const listenersText = (n) => `${n} listening`;

// The stations of /api/stations or /api/status, each {name, title,
// description, params, now, listeners, steer}: well-formed ones only, in
// the server's order; a missing title is the name and a missing description
// empty (as the server's defaults), listeners a count either way, steer
// "open" unless the server says "token", "none" or "personal".
export function stationCards(list) {
  if (!Array.isArray(list)) return [];
  return list
    .filter((s) => s && typeof s.name === 'string' && NAME.test(s.name))
    .map((s) => {
      const l = s.listeners;
      const listeners = typeof l === 'number' ? l : l && typeof l.total === 'number' ? l.total : 0;
      return {
        name: s.name,
        title: typeof s.title === 'string' && s.title ? s.title : s.name,
        description: typeof s.description === 'string' ? s.description : '',
        params: s.params && typeof s.params === 'object' ? s.params : {},
        now: s.now && typeof s.now === 'object' ? s.now : {},
        listeners,
        steer: ['open', 'token', 'none', 'personal'].includes(s.steer) ? s.steer : 'open',
        change: s.change && typeof s.change === 'object' ? s.change : null,
        recentMinutes: Number.isInteger(s.recent_minutes) && s.recent_minutes > 0 ? s.recent_minutes : 0,
      };
    });
}

// The player's "Save the last 10 minutes" link for a station: its URL, the
// file name the server gives it and its words; null when the server keeps
// no recent audio of it (recent_minutes 0), so the page hides the link. A
// server that keeps fewer than 10 minutes offers what it keeps.
export function recentLink(name, recentMinutes) {
  if (!NAME.test(name || '') || !(recentMinutes > 0)) return null;
  const minutes = Math.min(10, recentMinutes);
  return {
    href: `api/stations/${name}/recent.ogg?minutes=${minutes}`,
    download: `${name}-recent.ogg`,
    text: `Save the last ${minutes === 1 ? 'minute' : `${minutes} minutes`}`,
  };
}
