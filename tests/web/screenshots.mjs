// The README's pictures of the player, made again by anyone: a real `lull
// serve` on loopback (the browser tests' two stations) and Debian's
// headless Chromium, playing for a few seconds, then
//   docs/player-desktop.png  1280 x 800
//   docs/player-phone.png     390 x 844
//   docs/artwork-main.png, docs/artwork-night.png  the stations' lock-screen artwork (256 px)
// Run from anywhere, after a build:
//   node tests/web/screenshots.mjs [path/to/lull]    (default build/lull; or LULL_BIN)
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.env.LULL_BIN = process.argv[2] || process.env.LULL_BIN || join(root, 'build/lull');
const h = await import('./support/browser.mjs');
const docs = join(root, 'docs');

const { child, port } = await h.serve();
const browser = await h.launch();
try {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    const page = await h.openPage(browser, port, '', { viewport });
    await page.click('#play');
    await h.until('live audio', async () => (await h.stats(page)).playout === 'playing', 15000);
    await h.sleep(3000); // the visual settles, the chord shows
    const path = join(docs, `player-${name}.png`);
    await page.screenshot({ path });
    console.log(`wrote ${path}`);
    await page.close();
  }
  for (const station of ['main', 'night']) {
    const r = await fetch(`http://127.0.0.1:${port}/api/stations/${station}/artwork.png?size=256`);
    const path = join(docs, `artwork-${station}.png`);
    writeFileSync(path, new Uint8Array(await r.arrayBuffer()));
    console.log(`wrote ${path}`);
  }
} finally {
  await browser.close();
  child.kill('SIGTERM');
}
