// Listening alone: the listener's personal station (POST /api/personal),
// remembered across reloads in localStorage while it lives. Free of the DOM
// (node tests it): the storage and fetch are handed in.
const KEY = 'lull-personal';

// Whether a station's name is a personal station's (the server gives them "p-…").
export const isPersonal = (name) => /^p-/.test(name || '');
const NAME = /^p-[0-9a-f]{16}$/;
const TOKEN = /^[0-9a-f]{32}$/;

// The remembered station {station, token, seed}, or null (none, or
// something else in its place).
export function remembered(storage) {
  try {
    const m = JSON.parse(storage.getItem(KEY) || 'null');
    return m && NAME.test(m.station) && TOKEN.test(m.token) ? { station: m.station, token: m.token, seed: m.seed || 0 } : null;
  } catch {
    return null;
  }
}

export function remember(storage, m) {
  storage.setItem(KEY, JSON.stringify({ station: m.station, token: m.token, seed: m.seed }));
}

export function forget(storage) {
  storage.removeItem(KEY);
}

// Whether the remembered station still lives: GET /api/stations/NAME. A 404
// forgets it; a network error keeps it (the server may be restarting).
export async function stillThere(storage, fetchFn) {
  const m = remembered(storage);
  if (!m) return null;
  try {
    const r = await fetchFn(`api/stations/${m.station}`);
    if (r.status === 404) {
      forget(storage);
      return null;
    }
    return r.ok ? { ...m, info: await r.json() } : m;
  } catch {
    return m;
  }
}

// Start one, composed from params (the mood playing now carries over):
// {ok: true, station, token, seed, params} or {ok: false, message}, the
// server's words when it refuses (all taken, too many from here).
export async function startPersonal(storage, fetchFn, params) {
  const body = {};
  for (const k of ['key', 'mode', 'palette', 'bpm', 'intensity']) if (params && params[k] !== undefined) body[k] = params[k];
  try {
    const r = await fetchFn('api/personal', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const j = await r.json();
    if (!r.ok) return { ok: false, message: (j.error && j.error.message) || `the server answered ${r.status}` };
    remember(storage, j);
    return { ok: true, station: j.station, token: j.token, seed: j.seed, params: j.params };
  } catch {
    return { ok: false, message: 'could not reach the server' };
  }
}

// The token that steers `station`: the personal one's for it, else the
// operator's token the listener typed (if any).
export function tokenFor(station, mine, typed) {
  if (isPersonal(station)) return mine && mine.station === station ? mine.token : '';
  return typed || '';
}
