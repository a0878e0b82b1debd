// The station cards' pure parts: colours from key and mode, the now-playing
// line, and the stations read from /api/stations or /api/status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardColour, nowText, listenersText, stationCards, recentLink } from '../../../web/cards.mjs';
import { KEYS } from '../../../web/params.mjs';

test('every key has its own hue, a fifth apart 30 degrees on', () => {
  const hues = KEYS.map((k) => cardColour(k, 'aeolian').hue);
  assert.equal(new Set(hues).size, 12);
  const at = (k) => cardColour(k, 'ionian').hue;
  for (const [a, b] of [['C', 'G'], ['G', 'D'], ['D', 'A'], ['F', 'C']]) assert.equal((at(b) - at(a) + 360) % 360, 30, `${a} to ${b}`);
  assert.equal((at('F#') - at('C') + 360) % 360, 180, 'a tritone is opposite');
  assert.deepEqual(cardColour('H', 'dorian'), cardColour('C', 'dorian'), 'an unknown key is C');
});

test('the mode sets the lightness: brighter modes lighter, the hue kept', () => {
  const order = ['phrygian', 'aeolian', 'dorian', 'mixolydian', 'ionian', 'lydian'];
  const light = order.map((m) => cardColour('A', m).light);
  for (let i = 1; i < light.length; i++) assert.ok(light[i] > light[i - 1], `${order[i]} lighter than ${order[i - 1]}`);
  assert.ok(cardColour('A', 'pentatonic-minor').light < cardColour('A', 'pentatonic-major').light);
  assert.equal(new Set(order.map((m) => cardColour('A', m).hue)).size, 1);
});

test('now playing: where the music is, its mode named, the chord', () => {
  assert.equal(nowText({ key: 'D', mode: 'aeolian', chord: 'Dm7' }, { key: 'A', mode: 'aeolian' }), 'D minor (aeolian) · Dm7');
  assert.equal(nowText({}, { key: 'A', mode: 'dorian' }), 'A dorian');
  assert.equal(nowText(undefined, undefined), '–');
  assert.equal(listenersText(3), '3 listening');
});

test("stations from either endpoint: defaults as the server's, bad entries left out", () => {
  const list = [
    { name: 'main', title: 'Main room', description: 'Warm', params: { key: 'A' }, now: { chord: 'F' }, listeners: 2 },
    { name: 'night', params: {}, listeners: { total: 5, ws_opus: 5 } },
    { name: 'Bad!' }, null, { title: 'no name' },
  ];
  const cards = stationCards(list);
  assert.deepEqual(cards.map((c) => [c.name, c.title, c.description, c.listeners, c.recentMinutes]),
    [['main', 'Main room', 'Warm', 2, 0], ['night', 'night', '', 5, 0]]);
  assert.deepEqual(cards[1].now, {});
  assert.deepEqual(stationCards({ stations: [] }), []);
});

test("who may steer a station, and its last change, as the server says; open when it does not", () => {
  const cards = stationCards([
    { name: 'a', steer: 'none', change: { by: 'operator', fields: ['key'], ago_ms: 5 } },
    { name: 'b', steer: 'token' },
    { name: 'c' },
    { name: 'd', steer: 'everyone', change: 'key' },
  ]);
  assert.deepEqual(cards.map((c) => c.steer), ['none', 'token', 'open', 'open']);
  assert.deepEqual(cards.map((c) => c.change && c.change.by), ['operator', null, null, null]);
});

test('the save link: the last 10 minutes of the station, hidden when the server keeps none', () => {
  const [main, night] = stationCards([{ name: 'main', recent_minutes: 10 }, { name: 'night', recent_minutes: 30 }]);
  assert.deepEqual(recentLink(main.name, main.recentMinutes),
    { href: 'api/stations/main/recent.ogg?minutes=10', download: 'main-recent.ogg', text: 'Save the last 10 minutes' });
  assert.equal(recentLink(night.name, night.recentMinutes).href, 'api/stations/night/recent.ogg?minutes=10');
  // A server that keeps less offers what it keeps.
  assert.equal(recentLink('main', 5).href, 'api/stations/main/recent.ogg?minutes=5');
  assert.equal(recentLink('main', 1).text, 'Save the last minute');
  // Off (0, or an old server that does not say): no link.
  const [off, old] = stationCards([{ name: 'main', recent_minutes: 0 }, { name: 'main' }]);
  assert.equal(recentLink(off.name, off.recentMinutes), null);
  assert.equal(recentLink(old.name, old.recentMinutes), null);
  assert.equal(stationCards([{ name: 'x', recent_minutes: '10' }])[0].recentMinutes, 0);
  assert.equal(recentLink('Bad!', 10), null);
});

test('the page has the save link, a download, hidden until a station keeps recent audio', async () => {
  const { readFile } = await import('node:fs/promises');
  const html = await readFile(new URL('../../../web/index.html', import.meta.url), 'utf8');
  const a = html.match(/<a id="save-recent"[^>]*>([^<]*)<\/a>/);
  assert.ok(a, 'an <a id="save-recent"> in index.html');
  assert.match(a[0], / download[ >]/);
  assert.match(a[0], / hidden[ >]/);
  assert.equal(a[1], 'Save the last 10 minutes');
  const app = await readFile(new URL('../../../web/app.mjs', import.meta.url), 'utf8');
  assert.match(app, /recentLink\(/, 'app.mjs sets the link from recentLink');
});
