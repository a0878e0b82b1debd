// Listening alone, the page's part: the personal station remembered across
// reloads while it lives, forgotten once the server says it is gone, started
// with the mood playing, and its token used for it alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remembered, remember, forget, stillThere, startPersonal, tokenFor } from '../../../web/personal.mjs';
import { shareLink, paramsFromSearch } from '../../../web/params.mjs';

function storage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}
const MINE = { station: 'p-0123456789abcdef', token: '0123456789abcdef0123456789abcdef', seed: 42 };
const reply = (status, body) => async () => ({ status, ok: status >= 200 && status < 300, json: async () => body });

test('remembered: only a well-formed station and token', () => {
  const s = storage();
  assert.equal(remembered(s), null);
  remember(s, MINE);
  assert.deepEqual(remembered(s), MINE);
  s.setItem('lull-personal', '{"station":"main","token":"x"}');
  assert.equal(remembered(s), null, 'not a personal name');
  s.setItem('lull-personal', '{not json');
  assert.equal(remembered(s), null);
  forget(s);
  assert.equal(s.getItem('lull-personal'), null);
});

test('stillThere: a 404 forgets it, a network error keeps it', async () => {
  const s = storage();
  remember(s, MINE);
  const info = { name: MINE.station, steer: 'personal' };
  assert.deepEqual(await stillThere(s, reply(200, info)), { ...MINE, info });
  assert.deepEqual(await stillThere(s, async () => { throw new Error('offline'); }), MINE);
  assert.deepEqual(remembered(s), MINE);
  assert.equal(await stillThere(s, reply(404, { error: {} })), null);
  assert.equal(remembered(s), null);
});

test('startPersonal: posts the mood, remembers the answer, or gives the server words', async () => {
  const s = storage();
  let sent = null;
  const ok = async (url, init) => {
    sent = { url, init };
    return { status: 201, ok: true, json: async () => ({ ...MINE, params: { key: 'D' } }) };
  };
  const r = await startPersonal(s, ok, { key: 'D', mode: 'dorian', bpm: 70, intensity: 0.5, palette: 'glass', seed: 9, chord: 'x' });
  assert.equal(sent.url, 'api/personal');
  assert.equal(sent.init.method, 'POST');
  assert.deepEqual(JSON.parse(sent.init.body), { key: 'D', mode: 'dorian', palette: 'glass', bpm: 70, intensity: 0.5 });
  assert.equal(r.ok, true);
  assert.equal(r.station, MINE.station);
  assert.deepEqual(remembered(s), MINE);
  const full = await startPersonal(storage(), reply(503, { error: { code: 'personal_full', message: 'all 2 personal stations are taken' } }), {});
  assert.deepEqual(full, { ok: false, message: 'all 2 personal stations are taken' });
});

test('tokenFor: a personal station is steered with its own token only', () => {
  assert.equal(tokenFor(MINE.station, MINE, 'operator'), MINE.token);
  assert.equal(tokenFor('p-ffffffffffffffff', MINE, 'operator'), '', "someone else's");
  assert.equal(tokenFor('p-ffffffffffffffff', null, ''), '');
  assert.equal(tokenFor('main', MINE, 'operator'), 'operator');
  assert.equal(tokenFor('main', MINE, ''), '');
});

test('a personal station share link carries its seed, a shared one none', () => {
  const p = { key: 'D', mode: 'dorian', bpm: 70, intensity: 0.5, seed: 123456789 };
  const mine = new URL(shareLink('http://h/', MINE.station, p));
  assert.equal(mine.searchParams.get('seed'), '123456789');
  assert.equal(paramsFromSearch(mine.search).params.seed, '123456789');
  assert.equal(new URL(shareLink('http://h/', 'main', p)).searchParams.get('seed'), null);
  assert.deepEqual(paramsFromSearch('?seed=12x').bad, ['seed']);
});
