// The station cards' pure parts: colours from key and mode, the now-playing
// line, and the stations read from /api/stations or /api/status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardColour, nowText, listenersText, stationCards } from '../../../web/cards.mjs';
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
  assert.deepEqual(cards.map((c) => [c.name, c.title, c.description, c.listeners]),
    [['main', 'Main room', 'Warm', 2], ['night', 'night', '', 5]]);
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
