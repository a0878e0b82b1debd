// The lock screen's pure parts (web/media.mjs): artwork URLs, the media
// session's words, next and previous stations, the iOS volume test, and
// when an interrupted audio context is asked back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARTWORK_SIZES, artwork, mediaFields, neighbour, canSetVolume, shouldResume } from '../../../web/media.mjs';

test("artwork: the six sizes the server draws, each the station's PNG, the key and mode in the fragment", () => {
  assert.deepEqual(ARTWORK_SIZES, [96, 128, 192, 256, 384, 512]);
  const a = artwork('night', 'D', 'dorian');
  assert.equal(a.length, 6);
  assert.deepEqual(a[0], { src: 'api/stations/night/artwork.png?size=96#D-dorian', sizes: '96x96', type: 'image/png' });
  assert.deepEqual(a.map((x) => x.sizes), ['96x96', '128x128', '192x192', '256x256', '384x384', '512x512']);
  for (const x of a) assert.equal(new URL(x.src, 'http://h/').searchParams.get('size'), x.sizes.split('x')[0]);
  // Another key, another URL (a sharp escaped); without params, none.
  assert.equal(artwork('main', 'F#', 'aeolian')[5].src, 'api/stations/main/artwork.png?size=512#F%23-aeolian');
  assert.equal(artwork('main')[1].src, 'api/stations/main/artwork.png?size=128');
  assert.deepEqual(artwork('../x', 'D', 'dorian'), []);
  assert.deepEqual(artwork(undefined), []);
});

test("media fields: the station's title, key, mode and tempo, the chord or lull", () => {
  assert.deepEqual(mediaFields({ title: 'Night', key: 'D', mode: 'dorian', bpm: 63.6, chord: 'Dm7' }),
    { title: 'Night', artist: 'D dorian, 64 bpm', album: 'Dm7' });
  assert.equal(mediaFields({ title: 'Main', key: 'A', mode: 'aeolian', bpm: 60 }).artist, 'A minor (aeolian), 60 bpm');
  assert.equal(mediaFields({ title: 'Main', key: 'A', mode: 'aeolian', bpm: 60, chord: '–' }).album, 'lull');
  assert.equal(mediaFields({ key: 'A', mode: 'weird' }).artist, 'A weird');
  assert.equal(mediaFields({ key: 'A', mode: 'ionian' }).title, 'lull');
  assert.equal(mediaFields({ title: 'x' }), null, 'nothing from the server yet');
});

test('next and previous: the cards in order, wrapping; nothing else to go to with one', () => {
  const names = ['main', 'night', 'rain'];
  assert.equal(neighbour(names, 'main', 1), 'night');
  assert.equal(neighbour(names, 'rain', 1), 'main');
  assert.equal(neighbour(names, 'main', -1), 'rain');
  assert.equal(neighbour(names, 'night', -1), 'main');
  assert.equal(neighbour(names, 'gone', 1), 'main');
  assert.equal(neighbour(names, 'gone', -1), 'rain');
  assert.equal(neighbour(['main'], 'main', 1), null);
  assert.equal(neighbour([], 'main', 1), null);
  assert.equal(neighbour(undefined, 'main', 1), null);
});

test("volume: settable where it reads back (and is put back), not where it stays at 1 (iOS)", () => {
  const desktop = { volume: 0.8 };
  assert.equal(canSetVolume(desktop), true);
  assert.equal(desktop.volume, 0.8);
  assert.equal(canSetVolume({ volume: 0.5 }), true, 'also from 0.5');
  const ios = { get volume() { return 1; }, set volume(v) {} };
  assert.equal(canSetVolume(ios), false);
  const throws = { get volume() { return 1; }, set volume(v) { throw new Error('read-only'); } };
  assert.equal(canSetVolume(throws), false);
});

test('resume: wanted, seen, and suspended or interrupted', () => {
  assert.equal(shouldResume({ wanted: true, state: 'interrupted', hidden: false }), true);
  assert.equal(shouldResume({ wanted: true, state: 'suspended', hidden: false }), true);
  assert.equal(shouldResume({ wanted: true, state: 'interrupted', hidden: true }), false, 'not while hidden');
  assert.equal(shouldResume({ wanted: false, state: 'interrupted', hidden: false }), false, 'paused by the listener');
  assert.equal(shouldResume({ wanted: true, state: 'running', hidden: false }), false);
  assert.equal(shouldResume({ wanted: true, state: 'closed', hidden: false }), false);
});
