// Lock screens, media keys and other devices, free of the DOM (node tests
// it): what the Media Session shows (title, artist, album, the server's
// artwork of the station), which station the next and previous keys pick,
// whether the page's volume slider can do anything, and when a context the
// system took away (iOS "interrupted") should be asked back.
import { modeLabel } from './params.mjs';

// The artwork sizes the server draws (GET /api/stations/NAME/artwork.png).
export const ARTWORK_SIZES = [96, 128, 192, 256, 384, 512];

const NAME = /^[a-z0-9-]{1,32}$/;

// A station's artwork for MediaMetadata, one entry a size. The picture
// changes with the key and mode, its URL with it: they go in the fragment,
// which the server never sees, so that a browser that keeps artwork by URL
// fetches the new picture (revalidated by its ETag, which names them too).
export function artwork(name, key, mode) {
  if (!NAME.test(name || '')) return [];
  const tag = key && mode ? `#${encodeURIComponent(`${key}-${mode}`)}` : '';
  return ARTWORK_SIZES.map((n) => ({
    src: `api/stations/${name}/artwork.png?size=${n}${tag}`,
    sizes: `${n}x${n}`,
    type: 'image/png',
  }));
}

// What the lock screen says: the station's title, "D dorian, 64 bpm" and
// the chord playing (or "lull" before there is one); null before the
// server has said what plays.
export function mediaFields({ title, key, mode, bpm, chord }) {
  if (!key || !mode) return null;
  return {
    title: title || 'lull',
    artist: `${key} ${modeLabel(mode)}${Number.isFinite(bpm) ? `, ${Math.round(bpm)} bpm` : ''}`,
    album: chord && chord !== '–' ? chord : 'lull',
  };
}

// The station `step` places after `current` (-1: before) in the cards'
// order, wrapping around; null when there is no other.
export function neighbour(names, current, step) {
  if (!Array.isArray(names) || names.length < 2) return null;
  const i = names.indexOf(current);
  if (i < 0) return names[step > 0 ? 0 : names.length - 1];
  return names[(((i + step) % names.length) + names.length) % names.length];
}

// Whether setting a media element's volume works: iOS keeps it at 1 (the
// hardware buttons own the volume), so a value set does not read back.
// The element's volume is put back as it was.
export function canSetVolume(media) {
  try {
    const was = media.volume, want = was === 0.5 ? 0.25 : 0.5;
    media.volume = want;
    const ok = Math.abs(media.volume - want) < 1e-3;
    media.volume = was;
    return ok;
  } catch {
    return false;
  }
}

// Whether to ask for the audio context back: the listener wants sound, the
// page is seen, and the system suspended or interrupted it (iOS, a call or
// another app; resuming while hidden fails there, so it waits).
export function shouldResume({ wanted, state, hidden }) {
  return Boolean(wanted) && !hidden && (state === 'suspended' || state === 'interrupted');
}
