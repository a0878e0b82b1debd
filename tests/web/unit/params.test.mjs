// The page's pure helpers: volume curve, share links, reconnect backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  volumeGain, paramsFromSearch, shareLink, changes, backoffMs, keyHue, KEYS, paletteOptions, changeText, agoText, linkQuestion,
} from '../../../web/params.mjs';

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

test('who changed what, and when, in words', () => {
  const p = { key: 'D', mode: 'dorian', bpm: 70.4, intensity: 0.8, palette: 'glass' };
  assert.equal(changeText({ by: 'listener', fields: ['key'], ago_ms: 10000 }, p, 10000), 'key changed to D by a listener · 10 s ago');
  assert.equal(changeText({ by: 'operator', fields: ['key', 'mode'] }, p, 0), 'key changed to D, mode to dorian by the operator · just now');
  assert.equal(changeText({ by: 'timeline', fields: ['bpm', 'intensity'] }, p, 180000),
    'tempo changed to 70 bpm, intensity to 0.80 by the timeline · 3 min ago');
  assert.equal(changeText({ by: 'listener', fields: ['palette'] }, p, 7200000), 'palette changed to glass by a listener · 2 h ago');
  assert.equal(changeText({ by: 'who?', fields: ['key'] }, p, 0), 'key changed to D by someone · just now');
  for (const bad of [null, undefined, {}, { fields: [] }, { fields: ['seed'] }, { fields: 'key' }]) assert.equal(changeText(bad, p, 0), '');
  assert.equal(agoText(4999), 'just now');
  assert.equal(agoText(59999), '59 s ago');
  assert.equal(agoText(-5), 'just now');
});

test('a share link asks before it changes a shared station', () => {
  assert.equal(linkQuestion({ key: 'D', intensity: 0.7 }, 'Night'),
    'This link would change the music for everyone listening to Night: key D, intensity 0.70.');
  assert.equal(linkQuestion({ bpm: 90, mode: 'aeolian' }, 'main'),
    'This link would change the music for everyone listening to main: tempo 90 bpm, mode minor (aeolian).');
});
