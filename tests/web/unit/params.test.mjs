// The page's pure helpers: volume curve, share links, reconnect backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { volumeGain, paramsFromSearch, shareLink, changes, backoffMs, keyHue, KEYS, paletteOptions } from '../../../web/params.mjs';

test('volume: silent at 0, unity at 1, equal steps in decibels between', () => {
  assert.equal(volumeGain(0), 0);
  assert.equal(volumeGain(1), 1);
  assert.ok(Math.abs(20 * Math.log10(volumeGain(0.5)) + 25) < 1e-9);
  assert.ok(Math.abs(20 * Math.log10(volumeGain(0.9) / volumeGain(0.8)) - 5) < 1e-9);
  assert.equal(volumeGain(-1), 0);
  assert.equal(volumeGain(NaN), 0);
  assert.equal(volumeGain(2), 1);
});

test('a share link round-trips station and params', () => {
  const p = { key: 'F#', mode: 'pentatonic-minor', bpm: 72.4, intensity: 0.654 };
  const link = shareLink('http://127.0.0.1:8000/?codec=pcm#x', 'night-2', p);
  const back = paramsFromSearch(new URL(link).search);
  assert.deepEqual(back, { params: { station: 'night-2', key: 'F#', mode: 'pentatonic-minor', bpm: 72, intensity: 0.65 }, bad: [] });
});

test('a share link carries the palette', () => {
  const p = { key: 'D', mode: 'dorian', bpm: 60, intensity: 0.3, palette: 'glass' };
  const back = paramsFromSearch(new URL(shareLink('http://h/', 'main', p)).search);
  assert.equal(back.params.palette, 'glass');
  assert.deepEqual(paramsFromSearch('?palette=Glass!').bad, ['palette']);
  assert.deepEqual(changes({ palette: 'night', key: 'D' }, { palette: 'glass', key: 'D' }), { palette: 'night' });
});

test("the palette picker's options come from the server's list, in its order", () => {
  const list = [{ name: 'classic', about: 'the default' }, { name: 'glass', about: 'bells' }, { name: 'Bad!' }, null, { about: 'x' }];
  assert.deepEqual(paletteOptions(list), [['classic', 'classic', 'the default'], ['glass', 'glass', 'bells']]);
  assert.deepEqual(paletteOptions(undefined), []);
  assert.deepEqual(paletteOptions({ name: 'glass' }), []);
});

test('bad link values are left out and named', () => {
  const r = paramsFromSearch('?station=Bad!&key=H&mode=lydian&bpm=999&intensity=&x=1');
  assert.deepEqual(r.params, { mode: 'lydian' });
  assert.deepEqual(r.bad, ['station', 'key', 'bpm', 'intensity']);
});

test('changes sends only what differs', () => {
  assert.deepEqual(changes({ key: 'A', bpm: 80, station: 'x' }, { key: 'A', bpm: 64, mode: 'dorian' }), { bpm: 80 });
});

test('reconnect backoff: quick first, doubling, capped at 10 s, jittered', () => {
  assert.equal(backoffMs(0, () => 1), 100);
  assert.equal(backoffMs(0, () => 0), 50);
  assert.equal(backoffMs(3, () => 1), 800);
  assert.equal(backoffMs(20, () => 1), 10000);
  assert.equal(backoffMs(20, () => 0), 5000);
});

test('every key has its own hue', () => {
  assert.equal(new Set(KEYS.map(keyHue)).size, 12);
});
