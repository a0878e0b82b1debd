// The page's ties to the device around it (their logic is media.mjs):
// the Media Session (lock screen, media keys, artwork), the audio session's
// type, the audio context asked back after the system interrupted it, the
// volume slider only where the browser can set volume, and AirPlay or
// Remote Playback of the MP3 <audio> element where the browser offers it.
import { artwork, mediaFields, canSetVolume, shouldResume } from './media.mjs';

const session = typeof navigator !== 'undefined' && 'mediaSession' in navigator ? navigator.mediaSession : null;
let shown = null; // what the metadata says but its album: a new one only when that changes

// The lock screen's words and pictures for the station playing ({name,
// title, key, mode, bpm, chord}): new metadata when the station, key, mode
// or tempo change; a new chord only changes the album.
export function showMedia(now) {
  if (!session || typeof MediaMetadata === 'undefined') return;
  const f = mediaFields(now);
  if (!f) return;
  const art = artwork(now.name, now.key, now.mode);
  const id = `${f.title}|${f.artist}|${art.length ? art[0].src : ''}`;
  if (session.metadata && shown === id) {
    if (session.metadata.album !== f.album) session.metadata.album = f.album;
    return;
  }
  session.metadata = new MediaMetadata({ ...f, artwork: art });
  shown = id;
}

// Media keys and the lock screen's buttons: play, pause, stop, and the
// next or previous station (step(1), step(-1)).
export function mediaKeys({ play, pause, step }) {
  if (!session) return;
  const actions = { play, pause, stop: pause, nexttrack: () => step(1), previoustrack: () => step(-1) };
  for (const [action, fn] of Object.entries(actions)) {
    try {
      session.setActionHandler(action, fn);
    } catch {
      /* an action this browser does not know */
    }
  }
}

export function playbackState(playing) {
  if (session) session.playbackState = playing ? 'playing' : 'paused';
}

// Audio that plays on with the ringer switch off and the screen locked
// (Safari 16.4's Audio Session API).
export function audioSessionPlayback() {
  try {
    if (navigator.audioSession) navigator.audioSession.type = 'playback';
  } catch {
    /* read-only here */
  }
}

// iOS interrupts the player's context (a call, Siri, another app) and does
// not give it back while the page is hidden: ask again when the page is
// seen and at the listener's next touch or key.
export function resumeAfterInterruption(player) {
  const wake = () => {
    const ctx = player.ctx;
    if (ctx && shouldResume({ wanted: player.wanted, state: ctx.state, hidden: document.hidden })) ctx.resume().catch(() => {});
  };
  document.addEventListener('visibilitychange', wake);
  for (const type of ['pointerdown', 'keydown', 'touchend']) addEventListener(type, wake, { capture: true, passive: true });
  return wake;
}

// Hide the volume control where setting volume does nothing (iOS: the
// device's buttons own it).
export function volumeWhereSettable(control) {
  control.hidden = !canSetVolume(new Audio());
}

// A button that sends the MP3 stream to another device: the Remote
// Playback API (Chrome: Cast) or AirPlay (Safari), shown only while the
// browser says a device is there. useSystemPlayer() switches the page to
// playing through media (background mode); the picker opens first, within
// the listener's gesture.
export function remotePlayback(media, button, useSystemPlayer) {
  button.hidden = true;
  const show = (available) => {
    button.hidden = !available;
  };
  if (media.remote && typeof media.remote.watchAvailability === 'function') {
    media.remote.watchAvailability(show).catch(() => show(false));
    button.addEventListener('click', async () => {
      const going = useSystemPlayer();
      const asked = media.remote.prompt().then(() => true, () => false);
      await going;
      if (!(await asked)) media.remote.prompt().catch(() => {}); // no source yet at the first ask
    });
  } else if (typeof media.webkitShowPlaybackTargetPicker === 'function') {
    media.addEventListener('webkitplaybacktargetavailabilitychanged', (e) => show(e.availability === 'available'));
    button.addEventListener('click', () => {
      media.webkitShowPlaybackTargetPicker();
      useSystemPlayer();
    });
  }
}
