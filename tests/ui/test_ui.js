#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The token timeline page (/mock/ui/) in Debian's chromium, driven by
// playwright-core against the real mockapi binary:
//   node test_ui.js MOCKAPI NODE_MODULES ARTIFACT_DIR
// It starts mockapi (port 0, temp state dir, frozen clock, the kubelet
// volume), makes tokens (projected volumes; TokenRequest when served),
// opens the page with #token=, checks bars and states against the
// server's own events, clicks "+1 h" and sees bars expire, deletes a pod
// and a ServiceAccount and sees their tokens' bars turn invalidated when
// the server rejects them, checks that no
// token is ever in the DOM or the console and that the console has no
// errors, and saves screenshots under ARTIFACT_DIR.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const https = require('https');
const { spawn, execFileSync } = require('child_process');

const [mockapiBin, nodeModules, artifacts] = process.argv.slice(2).map((p) => path.resolve(p));
const { chromium } = require(path.join(nodeModules, 'playwright-core'));

const T0 = '2025-06-01T10:00:00Z';
const WAIT_MS = 15000;

let failures = 0;
let checks = 0;
function ok(cond, what) {
  checks++;
  if (cond) {
    console.log('ok - ' + what);
  } else {
    failures++;
    console.log('not ok - ' + what);
  }
  return cond;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(fn, what, ms) {
  const end = Date.now() + (ms || WAIT_MS);
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) {
        return last;
      }
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error('timed out waiting for ' + what + (last instanceof Error ? ': ' + last.message : ''));
}

// ---- the server ----

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mockapi-ui-'));
const state = path.join(tmp, 'state');
const saDir = path.join(tmp, 'sa');
const portFile = path.join(tmp, 'port');
let server = null;
let stdout = '';
let stderr = '';

function startServer() {
  const help = execFileSync(mockapiBin, ['--help']).toString();
  const args = ['--listen', '127.0.0.1:0', '--port-file', portFile, '--state-dir', state,
                '--clock', 'frozen:' + T0, '--seed', '7', '--threads', '2'];
  const hasVolume = /--serviceaccount-dir/.test(help);
  if (hasVolume) {
    args.push('--serviceaccount-dir', saDir);
  }
  server = spawn(mockapiBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { stdout += d; });
  server.stderr.on('data', (d) => { stderr += d; });
  return hasVolume;
}

function stopServer() {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
  }
}

let base = '';
let adminToken = '';
let ca = null;

function request(method, p, body, token) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers = { Accept: 'application/json' };
    if (token !== null) {
      headers.Authorization = 'Bearer ' + (token || adminToken);
    }
    if (data) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = data.length;
    }
    const req = https.request(base + p, { method, headers, ca, timeout: 10000 }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json = null;
        try {
          json = JSON.parse(text);
        } catch (e) {
          json = null;
        }
        resolve({ status: res.statusCode, json, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (data) {
      req.write(data);
    }
    req.end();
  });
}

// Every token this test has seen; none may appear in the page.
const tokens = new Set();
function collectVolumeToken(dir) {
  try {
    const t = fs.readFileSync(path.join(dir, 'token'), 'utf8');
    if (t) {
      tokens.add(t);
    }
  } catch (e) {
    // not written (yet)
  }
}

// The server's own view: every token in the events, by jti.
async function serverTokens() {
  const r = await request('GET', '/mock/v1/events?since=0');
  const m = new Map();
  for (const ev of (r.json && r.json.events) || []) {
    // "issued" has the JWT's claims; the kubelet's events carry the same
    // exp (the JWT's) and only fill gaps.
    if (ev.jti && ev.iat && ev.exp) {
      const have = m.get(ev.jti);
      m.set(ev.jti, ev.type === 'issued' ? Object.assign({}, have, ev) : Object.assign({}, ev, have));
    }
  }
  return m;
}

async function mockNow() {
  const r = await request('GET', '/mock/v1/clock');
  return Date.parse(r.json.now) / 1000;
}

// ---- the page ----

async function barStates(page) {
  return page.$$eval('#chart svg g.bar', (bars) =>
    bars.map((b) => ({ jti: b.getAttribute('data-jti'), state: b.getAttribute('data-state') })));
}

async function clockText(page) {
  return page.textContent('#clock-time');
}

// No token, and no large piece of one, anywhere in the DOM (text and
// attributes) or in the console.
async function checkNoTokens(page, consoleText, what) {
  const dom = await page.evaluate(() => document.documentElement.outerHTML + '\n' + document.body.innerText);
  const pieces = [];
  for (const t of tokens) {
    pieces.push(t);
    for (const part of t.split('.')) {
      if (part.length >= 16) {
        pieces.push(part);
      }
    }
  }
  const inDom = pieces.filter((p) => dom.includes(p)).length;
  const inConsole = pieces.filter((p) => consoleText().includes(p)).length;
  ok(tokens.size > 0 && inDom === 0, what + ': none of ' + tokens.size + ' tokens (or their segments) in the DOM');
  ok(inConsole === 0, what + ': no token in the console');
  ok(!dom.includes(adminToken), what + ': the admin token is not in the DOM');
}

async function main() {
  const hasVolume = startServer();
  await waitFor(() => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim(), 'the port file');
  const port = fs.readFileSync(portFile, 'utf8').trim();
  base = 'https://127.0.0.1:' + port;
  ca = fs.readFileSync(path.join(state, 'ca.crt'));
  adminToken = fs.readFileSync(path.join(state, 'admin-token'), 'utf8').trim();
  const uiLine = await waitFor(() => {
    const m = /^mockapi: UI (\S+)$/m.exec(stdout);
    return m && m[1];
  }, 'the UI line');
  ok(uiLine === base + '/mock/ui/#token=' + adminToken, 'the ready output prints the UI link with #token=');

  const clock = await request('GET', '/mock/v1/clock');
  if (!ok(clock.status === 200, 'the admin API answers /mock/v1/clock (' + clock.status + ')')) {
    throw new Error('no admin API: ' + clock.text.slice(0, 200));
  }

  // Tokens: the default kubelet volume (3607 s: extended, warnafter), a
  // short volume (600 s) on the other pod, TokenRequest when served.
  const shortDir = path.join(tmp, 'vol-short');
  if (hasVolume) {
    collectVolumeToken(saDir);
    const v = await request('POST', '/mock/v1/volumes',
                            { dir: shortDir, pod: 'production/api-server-5f6d8b9c4-m7n2q', expirationSeconds: 600 });
    ok(v.status === 201 || v.status === 200, 'POST /mock/v1/volumes (' + v.status + ')');
    collectVolumeToken(shortDir);
  }
  const tr = await request('POST', '/api/v1/namespaces/default/serviceaccounts/default/token',
                           { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
                             spec: { expirationSeconds: 1200 } });
  const trServed = tr.status === 201;
  if (trServed) {
    tokens.add(tr.json.status.token);
    console.log('# TokenRequest served: a 1200 s token issued');
  } else {
    console.log('# note: TokenRequest answered ' + tr.status + ' in this build: kubectl-issued tokens not exercised');
  }

  const issued = await serverTokens();
  ok(issued.size >= 2, 'the server reports ' + issued.size + ' issued tokens');

  // ---- the browser ----
  const profile = fs.mkdtempSync(path.join(tmp, 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
  });
  let consoleLog = '';
  const consoleErrors = [];
  const badResponses = [];
  const watch = (page) => {
    page.on('console', (m) => {
      consoleLog += m.type() + ': ' + m.text() + '\n';
      if (m.type() === 'error') {
        consoleErrors.push(m.text());
      }
    });
    page.on('pageerror', (e) => { consoleErrors.push('pageerror: ' + e.message); });
    page.on('response', (r) => {
      if (r.status() >= 400) {
        badResponses.push(r.status() + ' ' + r.url());
      }
    });
    page.on('requestfailed', (r) => { badResponses.push('failed ' + r.url()); });
  };
  const shot = async (page, name) => {
    const p = path.join(artifacts, name);
    await page.screenshot({ path: p, fullPage: true });
    console.log('# screenshot: ' + p);
  };

  try {
    const page = context.pages()[0] || await context.newPage();
    watch(page);
    await page.goto(uiLine);
    await page.waitForFunction((n) => document.querySelectorAll('#chart svg g.bar').length >= n,
                               issued.size, { timeout: WAIT_MS });
    let bars = await barStates(page);
    ok(bars.length === issued.size, 'one bar per issued token (' + bars.length + ')');
    ok(bars.every((b) => issued.has(b.jti)), 'every bar is a token the server issued');
    ok(bars.every((b) => b.state === 'valid'), 'at ' + T0 + ' every token is valid');
    if (trServed) {
      const trJti = JSON.parse(Buffer.from(tr.json.status.token.split('.')[1], 'base64url').toString()).jti;
      const trEv = issued.get(trJti);
      ok(trEv && trEv.reason === 'TokenRequest' && trEv.exp - trEv.iat === 1200,
         'the server reports the TokenRequest as issued (exp = iat + 1200)');
      ok(bars.some((b) => b.jti === trJti), 'the TokenRequest-issued token has a bar');
    }
    ok((await clockText(page)) === '2025-06-01 10:00:00Z', 'the clock shows the frozen mock time');
    ok((await page.textContent('#clock-state')) === 'frozen', 'the clock says frozen');
    ok(await page.isDisabled('#freeze') && !(await page.isDisabled('#resume')), 'Freeze disabled, Resume enabled');
    const marks = await page.$$eval('#chart svg line.mk-refresh', (l) => l.length);
    ok(marks === bars.length, 'a refresh marker on every bar');
    if (hasVolume) {
      ok((await page.$$eval('#chart svg line.mk-warn', (l) => l.length)) >= 1, 'a warnafter marker on the extended token');
      ok((await page.$$eval('#chart svg .arrow', (l) => l.length)) >= 1, 'the year-long token ends in an off-window arrow');
    }
    ok((await page.$$eval('#chart svg g.now', (l) => l.length)) === 1, 'a now line');

    // Hover and focus show the claims (never the token).
    const first = page.locator('#chart svg g.bar').first();
    const jti0 = await first.getAttribute('data-jti');
    await first.hover();
    await page.waitForSelector('#tip:not([hidden])', { timeout: WAIT_MS });
    let tip = await page.textContent('#tip');
    ok(tip.includes(jti0) && /system:serviceaccount:/.test(tip), 'hovering a bar shows its jti and sub');
    ok(/aud/.test(tip) && /pod/.test(tip), 'the tooltip lists aud and the bound pod');
    await page.mouse.move(0, 0);
    await page.locator('#chart svg g.bar').nth(1).focus();
    await page.waitForSelector('#tip:not([hidden])', { timeout: WAIT_MS });
    tip = await page.textContent('#tip');
    ok(tip.includes(bars[1].jti), 'focusing a bar shows its claims');
    await page.keyboard.press('Escape');
    ok(await page.isHidden('#tip'), 'Escape hides the tooltip');
    await shot(page, 'ui-initial-1280.png');

    // "+1 h": the 600 s and 1200 s tokens expire; the kubelet refreshed
    // the volumes on the way, and successive tokens are linked.
    await page.getByRole('button', { name: '+1 h' }).click();
    await page.waitForFunction(() => document.getElementById('clock-time').textContent === '2025-06-01 11:00:00Z',
                               null, { timeout: WAIT_MS });
    collectVolumeToken(saDir);
    collectVolumeToken(shortDir);
    let now = await mockNow();
    let all = await serverTokens();
    await page.waitForFunction((n) => document.querySelectorAll('#chart svg g.bar').length >= n,
                               Math.min(all.size, 60), { timeout: WAIT_MS });
    await sleep(1200); // one more poll, so states are drawn at the new time
    bars = await barStates(page);
    const byJti = new Map(bars.map((b) => [b.jti, b.state]));
    const expiredWant = [...all.values()].filter((t) => t.exp <= now).map((t) => t.jti);
    ok(expiredWant.length >= 1, expiredWant.length + ' tokens are past exp on the server clock');
    ok(expiredWant.every((j) => byJti.get(j) === 'expired'), 'every token past exp is drawn expired');
    ok(bars.every((b) => b.state !== 'expired' || all.get(b.jti).exp <= now), 'no live token is drawn expired');
    for (const j of issued.keys()) {
      if (issued.get(j).exp <= now) {
        ok(byJti.get(j) === 'expired', 'token ' + j.slice(0, 8) + ' (ttl ' + (issued.get(j).exp - issued.get(j).iat) + ' s) turned expired');
      }
    }
    if (hasVolume) {
      const links = await page.$$eval('#chart svg path.link', (l) => l.length);
      ok(links >= 1, 'successive tokens of a volume are linked (' + links + ' links)');
      ok((await page.$$eval('#chart svg .vol text', (t) => t.map((x) => x.textContent)))
        .some((s) => s.includes(shortDir)), 'the volume path labels its group');
      const ext = [...all.values()].find((t) => t.warnafter && t.iat === Date.parse(T0) / 1000);
      ok(ext && byJti.get(ext.jti) === 'refresh', 'the first kubelet token is past its refresh point, not yet stale');
    }

    // Keyboard: Tab reaches the real buttons; Enter on "+1 min" advances.
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    let reached = false;
    for (let i = 0; i < 150 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement &&
        document.activeElement.textContent === '+1 min');
    }
    ok(reached, 'Tab reaches the "+1 min" button');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('clock-time').textContent === '2025-06-01 11:01:00Z',
                               null, { timeout: WAIT_MS });
    ok(true, 'Enter on "+1 min" advanced the mock clock');
    const focusStyle = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    ok(focusStyle !== 'none', 'the focused button has a visible outline (' + focusStyle + ')');

    // Past warnafter (iat + 3607 s) the first volume token is stale.
    await sleep(1200);
    bars = await barStates(page);
    now = await mockNow();
    if (hasVolume) {
      all = await serverTokens();
      const ext = [...all.values()].find((t) => t.warnafter && t.iat === Date.parse(T0) / 1000);
      ok(ext && bars.find((b) => b.jti === ext.jti).state === 'stale', 'past warnafter the extended token is stale');
    }
    const feedText = await page.textContent('#feed');
    ok(/issued/.test(feedText), 'the feed lists issued events');
    await checkNoTokens(page, () => consoleLog, 'after +1 h');
    await shot(page, 'ui-expired-1280.png');
    // The README's picture (docs/ui-timeline.png is a copy of this one).
    await page.setViewportSize({ width: 1100, height: 640 });
    await sleep(300);
    await page.screenshot({ path: path.join(artifacts, 'ui-readme.png') });
    console.log('# screenshot: ' + path.join(artifacts, 'ui-readme.png'));
    await page.setViewportSize({ width: 1280, height: 800 });

    // Rotate the signing key and drop the old one: its tokens are marked.
    const rot = await request('POST', '/mock/v1/keys/rotate', { drop_old: true });
    ok(rot.status === 200 || rot.status === 201, 'POST /mock/v1/keys/rotate drop_old (' + rot.status + ')');
    const droppedKids = new Set((rot.json && rot.json.dropped) || []);
    await page.waitForFunction(() => document.querySelectorAll('#chart svg g.bar[data-state="dropped"]').length > 0,
                               null, { timeout: WAIT_MS });
    bars = await barStates(page);
    all = await serverTokens();
    const live = bars.filter((b) => all.get(b.jti).exp > now + 600);
    ok(live.length > 0 && live.every((b) => (droppedKids.has(all.get(b.jti).kid)) === (b.state === 'dropped')),
       'unexpired tokens signed by the dropped key are drawn "dropped key", the others not');
    ok(/keyRotated/.test(await page.textContent('#feed')), 'the feed shows the key rotation');

    // Rate and freeze buttons drive the real clock.
    await page.getByRole('button', { name: '×60' }).click();
    await waitFor(async () => (await request('GET', '/mock/v1/clock')).json.rate === 60, 'rate 60');
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitFor(async () => (await request('GET', '/mock/v1/clock')).json.frozen === false, 'resumed');
    await page.waitForFunction(() => document.getElementById('clock-state').textContent === 'running',
                               null, { timeout: WAIT_MS });
    ok(true, '×60 and Resume set the server clock (rate 60, running)');
    await page.getByRole('button', { name: 'Freeze' }).click();
    await waitFor(async () => (await request('GET', '/mock/v1/clock')).json.frozen === true, 'frozen');
    await page.getByRole('button', { name: '×1' }).click();
    await waitFor(async () => (await request('GET', '/mock/v1/clock')).json.rate === 1, 'rate 1');
    ok(true, 'Freeze and ×1 set it back');
    await shot(page, 'ui-dropped-key-1280.png');

    // A narrow window: no horizontal scrolling, the bars still there.
    await page.setViewportSize({ width: 400, height: 800 });
    await sleep(1300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    ok(overflow <= 400, 'at 400 px nothing scrolls sideways (scrollWidth ' + overflow + ')');
    ok((await page.$$eval('#chart svg g.bar', (b) => b.length)) > 0, 'at 400 px the bars are drawn');
    await shot(page, 'ui-narrow-400.png');
    await checkNoTokens(page, () => consoleLog, 'at the end');

    // Invalidated tokens, from the REAL server: a TokenRequest token bound
    // to a pod that is then deleted, one of a ServiceAccount that is then
    // deleted; presenting each gives a "rejected" event with the server's
    // reason, and the page draws the bar "invalidated".
    await page.setViewportSize({ width: 1280, height: 800 });
    const podName = 'ui-gone';
    const mk = await request('POST', '/api/v1/namespaces/default/pods',
                             { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName },
                               spec: { serviceAccountName: 'default', containers: [{ name: 'c', image: 'x' }] } });
    ok(mk.status === 201, 'created pod ' + podName + ' (' + mk.status + ')');
    const mkSa = await request('POST', '/api/v1/namespaces/default/serviceaccounts',
                               { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ui-sa' } });
    ok(mkSa.status === 201, 'created ServiceAccount ui-sa (' + mkSa.status + ')');
    const trPod = await request('POST', '/api/v1/namespaces/default/serviceaccounts/default/token',
                                { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
                                  spec: { expirationSeconds: 3600,
                                          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: podName } } });
    const trSa = await request('POST', '/api/v1/namespaces/default/serviceaccounts/ui-sa/token',
                               { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
                                 spec: { expirationSeconds: 3600 } });
    ok(trPod.status === 201 && trSa.status === 201, 'TokenRequest for the pod and the ServiceAccount');
    const tPod = trPod.json.status.token;
    const tSa = trSa.json.status.token;
    tokens.add(tPod);
    tokens.add(tSa);
    const jtiOf = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).jti;
    const jPod = jtiOf(tPod);
    const jSa = jtiOf(tSa);
    await page.waitForFunction((js) => js.every((j) => document.querySelector('#chart svg g.bar[data-jti="' + j + '"]')),
                               [jPod, jSa], { timeout: WAIT_MS });
    let sNow = new Map((await barStates(page)).map((b) => [b.jti, b.state]));
    ok(sNow.get(jPod) === 'valid' && sNow.get(jSa) === 'valid', 'both new TokenRequest bars are drawn valid');
    const delPod = await request('DELETE', '/api/v1/namespaces/default/pods/' + podName + '?gracePeriodSeconds=0');
    const delSa = await request('DELETE', '/api/v1/namespaces/default/serviceaccounts/ui-sa');
    ok(delPod.status === 200 && delSa.status === 200, 'deleted the pod and the ServiceAccount');
    const r1 = await request('GET', '/api/v1/namespaces/default/pods', undefined, tPod);
    const r2 = await request('GET', '/api/v1/namespaces/default/pods', undefined, tSa);
    ok(r1.status === 401 && r2.status === 401, 'both tokens are refused (' + r1.status + ', ' + r2.status + ')');
    const evs = ((await request('GET', '/mock/v1/events?since=0')).json.events || []);
    const rej = (j) => evs.filter((e) => e.type === 'rejected' && e.jti === j).map((e) => e.reason);
    ok(rej(jPod).includes('service account token has been invalidated'),
       'the server rejected the pod-bound token: ' + rej(jPod).join(', '));
    ok(rej(jSa).includes('serviceaccounts "ui-sa" not found'),
       'the server rejected the ServiceAccount token: ' + rej(jSa).join(', '));
    await page.waitForFunction((js) => js.every((j) => {
      const b = document.querySelector('#chart svg g.bar[data-jti="' + j + '"]');
      return b && b.getAttribute('data-state') === 'invalidated';
    }), [jPod, jSa], { timeout: WAIT_MS });
    sNow = new Map((await barStates(page)).map((b) => [b.jti, b.state]));
    ok(sNow.get(jPod) === 'invalidated', 'the token whose pod was deleted is drawn invalidated');
    ok(sNow.get(jSa) === 'invalidated', 'the token whose ServiceAccount was deleted is drawn invalidated');
    const feed2 = await page.textContent('#feed');
    ok(feed2.includes('service account token has been invalidated') && feed2.includes('request 401'),
       'the feed shows the rejection reasons and the rejected request');
    await checkNoTokens(page, () => consoleLog, 'after the invalidations');
    await shot(page, 'ui-invalidated-1280.png');

    ok(consoleErrors.length === 0, 'no console errors' + (consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''));
    ok(badResponses.length === 0, 'no failed page requests' + (badResponses.length ? ': ' + badResponses.join(' | ') : ''));
  } finally {
    await context.close();
  }
}

main().catch((e) => {
  failures++;
  console.log('not ok - ' + (e && e.stack ? e.stack : e));
}).then(() => {
  stopServer();
  if (failures && stderr) {
    console.log('# mockapi stderr:\n' + stderr.split('\n').slice(-20).map((l) => '#   ' + l).join('\n'));
  }
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
  } catch (e) {
    // best effort
  }
  console.log(checks - failures + ' passed, ' + failures + ' failed');
  process.exit(failures ? 1 : 0);
});
