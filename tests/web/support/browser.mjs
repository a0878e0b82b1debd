// A real `lull serve` on loopback and Debian's headless Chromium (driven by
// playwright-core, no browser download) for the player's page tests:
// player.test.mjs (what the player does) and player_timing.test.mjs (that it
// keeps up in real time). Chromium runs an AudioContext without a sound
// card; the page exposes its stats.
//   LULL_BIN       the lull binary
//   LULL_ARTIFACTS where the screenshots go
//   LULL_CHROMIUM  the browser (/usr/bin/chromium)
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { before, after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BIN = process.env.LULL_BIN;
export const ART = process.env.LULL_ARTIFACTS || 'artifacts';
const CHROMIUM = process.env.LULL_CHROMIUM || '/usr/bin/chromium';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// `lull serve` on the given port (0: any); resolves once it says where.
export function serve(p = 0, extra = []) {
  assert.ok(BIN, 'LULL_BIN names the lull binary');
  return new Promise((resolve, reject) => {
    // lull.test is a name for 127.0.0.1 (a host-resolver rule): this server answers to it.
    // Two stations with a face (the cards), a comma escaped in one description.
    const args = ['serve', '--port', String(p), '--station', 'main:title=Main room,description=Warm\\, slow and near',
      '--station', 'night:key=D,mode=dorian,title=Night,description=Dark and far away',
      '--allow-host', 'lull.test', ...extra];
    const child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => reject(new Error(`lull serve did not start: ${log}`)), 5000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = /https?:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        child.stderr.removeAllListeners('data');
        child.stderr.resume();
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`lull serve exited ${code}: ${log}`)));
  });
}

// `lull serve --tls-cert` with a certificate made on the spot for lull.test;
// close() stops it and removes the certificate.
export async function serveTls() {
  const dir = mkdtempSync(join(tmpdir(), 'lull-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out',
    join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=lull.test', '-addext', 'subjectAltName=DNS:lull.test'], { stdio: 'ignore' });
  try {
    const s = await serve(0, ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    return { ...s, close: () => {
      s.child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    } };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// One `lull serve` and one browser for a test file, started before its
// tests and stopped after them: ctx.server (a test may replace it with a
// restarted one), ctx.port, ctx.browser. artifacts: make ART for screenshots.
export function suite({ artifacts = false } = {}) {
  const ctx = {};
  before(async () => {
    if (artifacts) mkdirSync(ART, { recursive: true });
    ({ child: ctx.server, port: ctx.port } = await serve());
    ctx.browser = await launch();
  });
  after(async () => {
    if (ctx.browser) await ctx.browser.close();
    if (ctx.server) ctx.server.kill('SIGTERM');
  });
  return ctx;
}

export async function api(port, path, init) {
  const headers = init?.body ? { 'content-type': 'application/json', ...init.headers } : init?.headers;
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers });
  return { status: r.status, body: await r.json() };
}

// Poll fn until it returns something truthy (that value), or fail after ms.
// The limit guards against a hang; what is asserted is what fn waits for.
export async function until(what, fn, ms = 5000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    if ((last = await fn())) return last;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
      '--disable-component-update', '--disable-sync',
      // A name for 127.0.0.1 that is not this machine's: a page from it is not a secure context.
      '--host-resolver-rules=MAP lull.test 127.0.0.1',
      // The HTTPS test's certificate is made on the spot, signed by nobody.
      '--ignore-certificate-errors'],
  });
}

export async function openPage(browser, port, search = '', { viewport = { width: 1280, height: 900 }, init, host = '127.0.0.1', scheme = 'http' } = {}) {
  const page = await browser.newPage({ viewport });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    // The page's Content-Security-Policy must not block anything it does.
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) page.errors.push(m.text());
  });
  if (init) await page.addInitScript(init);
  await page.goto(`${scheme}://${host}:${port}/${search}`);
  return page;
}

export const stats = (page) => page.evaluate(() => window.lull.stats());

// Wait until the page has decoded `seconds` of audio and played as much
// (less `slack` seconds) since `from` (earlier stats, or none): however long
// the machine takes. Returns the stats then.
export function playedFor(page, seconds, { from = null, slack = 0.5, ms = 30000 } = {}) {
  const d0 = from ? from.decoded_frames : 0, p0 = from ? from.played_frames : 0;
  return until(`${seconds} s decoded and played`, async () => {
    const x = await stats(page);
    return x.decoded_frames - d0 >= seconds * 48000 && x.played_frames - p0 >= (seconds - slack) * x.context_rate && x;
  }, ms);
}

// Drop the page's socket (the server stays): resolves once it is live again.
export async function dropSocket(page) {
  const before = (await stats(page)).reconnects;
  await page.evaluate(() => window.lull.player.ws.close());
  await until('the reconnect', async () => {
    const x = await stats(page);
    return x.reconnects === before + 1 && x.state === 'live';
  });
}
