// SPDX-License-Identifier: GPL-3.0-or-later
// The customer portal in real headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core; never `playwright install`). Starts
// `drdeskctl serve` itself on a temporary database, answers like a
// customer, checks the database with the sqlite3 CLI, and saves
// screenshots portal-*.png to $DRD_SCREENSHOT_DIR (default: the build
// directory's screenshots/, so a test run never touches the source tree;
// DRD_SCREENSHOT_DIR=$PWD/docs/screenshots refreshes the README's).
//
// Exit status 77 (skip) when the build directory, node_modules or Chromium
// is missing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.DRD_SOURCE_DIR || path.resolve(here, '..', '..');
const buildDir = process.env.DRD_BUILD_DIR;
const chromiumPath = process.env.DRD_CHROMIUM || '/usr/bin/chromium';
const shotDir = process.env.DRD_SCREENSHOT_DIR ||
  path.join(buildDir || os.tmpdir(), 'screenshots');
fs.mkdirSync(shotDir, { recursive: true });

function skip(why) {
  console.log(`# SKIP ${why}`);
  process.exit(77);
}

if (!buildDir || !fs.existsSync(path.join(buildDir, 'src', 'drdeskctl'))) {
  skip('DRD_BUILD_DIR/src/drdeskctl not found (run through meson test)');
}
if (!fs.existsSync(chromiumPath)) {
  skip(`${chromiumPath} not found`);
}
let chromium;
try {
  const require = createRequire(import.meta.url);
  ({ chromium } = require('playwright-core'));
} catch (e) {
  skip('playwright-core is not installed (npm ci in tests/browser)');
}

const drdeskctl = path.join(buildDir, 'src', 'drdeskctl');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drd-browser-'));
const db = path.join(tmp, 'browser.db');

function ctl(...args) {
  return execFileSync(drdeskctl, ['--db', db, ...args], { encoding: 'utf8' });
}

function sql(query) {
  return execFileSync('sqlite3', ['-readonly', db, query], { encoding: 'utf8' }).trim();
}

// ISO 8601 in Korean time (+09:00) for a Unix time.
function kst(unix) {
  const d = new Date((unix + 9 * 3600) * 1000);
  return d.toISOString().replace(/\.\d{3}Z$/, '+09:00');
}

let server;
let baseUrl;
let browser;
let links = {};
let openEvent;
let lateEvent;

before(async () => {
  ctl('init');
  const csv = path.join(tmp, 'customers.csv');
  fs.writeFileSync(csv, [
    'customer_id,name,kepco_customer_no,resource,registered_kw,phone',
    '1,김민수 카페,0100000001,강남,50,010-1111-2222',
    '2,<script>alert(1)</script>,0100000002,강남,30,',
    '3,Hanbit Bakery,0100000003,강남,20,',
  ].join('\n') + '\n');
  ctl('customers', 'import', csv);

  const now = Math.floor(Date.now() / 1000);
  const slot = now - (now % 900);
  // Running, with an answer deadline that has passed.
  lateEvent = ctl('event', 'start', '--name', '오전 피크 감축', '--kind', 'reliability',
    '--start', kst(slot - 3600), '--end', kst(slot + 900),
    '--answer-deadline', kst(now - 60), '--target-kw', '50').trim();
  // Upcoming and open.
  openEvent = ctl('event', 'start', '--name', '오후 피크 감축', '--kind', 'economic',
    '--start', kst(slot + 3600), '--end', kst(slot + 3 * 3600),
    '--answer-deadline', kst(slot + 2 * 3600), '--target-kw', '80').trim();

  for (const line of ctl('links', openEvent).trim().split('\n').slice(1)) {
    const id = line.split(',')[0];
    links[id] = line.slice(line.lastIndexOf('/r/'));
  }

  server = spawn(drdeskctl, ['--db', db, 'serve', '--listen', '127.0.0.1:0', '--rate-limit', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  baseUrl = await new Promise((resolve, reject) => {
    let buf = '';
    server.stdout.on('data', (chunk) => {
      buf += chunk;
      const m = buf.match(/^LISTENING (http:\/\/\S+)\/$/m);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    setTimeout(() => reject(new Error('serve did not print LISTENING')), 10000);
  });

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  fs.mkdirSync(shotDir, { recursive: true });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
});

// A phone-sized page that fails the test on any script dialog or CSP
// violation.
async function phonePage(locale) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    locale,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const problems = [];
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { context, page, problems };
}

function answerOf(customer) {
  return sql(`SELECT answer || ',' || channel FROM responses WHERE event_id = ${openEvent} AND customer_id = ${customer}`);
}

test('Korean page by default: accept, see confirmation, change to deny', async () => {
  const { context, page, problems } = await phonePage('ko-KR');
  const response = await page.goto(baseUrl + links['1']);
  assert.equal(response.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  assert.match(await page.textContent('h1'), /수요반응\(DR\) 참여 응답/);
  assert.match(await page.textContent('.greeting'), /김민수 카페 고객님/);
  const section = page.locator(`#event-${openEvent}`);
  assert.match(await section.textContent(), /오후 피크 감축/);
  assert.match(await section.locator('.answer').textContent(), /아직 응답하지 않음/);
  await page.screenshot({ path: path.join(shotDir, 'portal-ko.png'), fullPage: true });

  await Promise.all([page.waitForURL(/saved=/), section.locator('button.accept').click()]);
  assert.match(await page.textContent('.saved'), /응답이 저장되었습니다: 참여/);
  assert.equal(answerOf(1), '1,1');   // accept, channel portal
  await page.screenshot({ path: path.join(shotDir, 'portal-ko-accepted.png'), fullPage: true });

  await Promise.all([page.waitForURL(/saved=/),
    page.locator(`#event-${openEvent} button.deny`).click()]);
  assert.match(await page.textContent('.saved'), /참여 안 함/);
  assert.equal(answerOf(1), '2,1');   // deny, channel portal
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'answer' AND customer_id = 1`), '2');
  assert.deepEqual(problems, []);
  await context.close();
});

test('English page from the browser language, kept across the answer', async () => {
  const { context, page, problems } = await phonePage('en-US');
  await page.goto(baseUrl + links['3']);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('.greeting'), /Customer: Hanbit Bakery/);
  await page.screenshot({ path: path.join(shotDir, 'portal-en.png'), fullPage: true });

  // A Korean browser following the English switch link.
  const ko = await phonePage('ko-KR');
  await ko.page.goto(baseUrl + links['3']);
  await Promise.all([ko.page.waitForURL(/lang=en/), ko.page.click('nav.lang a')]);
  assert.equal(await ko.page.getAttribute('html', 'lang'), 'en');
  await Promise.all([ko.page.waitForURL(/saved=/),
    ko.page.locator(`#event-${openEvent} button.accept`).click()]);
  assert.match(ko.page.url(), /lang=en/);
  assert.match(await ko.page.textContent('.saved'), /Your answer was saved: Accept/);
  assert.equal(answerOf(3), '1,1');
  await ko.page.screenshot({ path: path.join(shotDir, 'portal-en-accepted.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(ko.problems, []);
  await ko.context.close();
  await context.close();
});

test('after the deadline the page says so and offers no buttons', async () => {
  const { context, page, problems } = await phonePage('ko-KR');
  await page.goto(baseUrl + links['1']);
  const late = page.locator(`#event-${lateEvent}`);
  assert.match(await late.textContent(), /오전 피크 감축/);
  assert.match(await late.locator('.closed').textContent(), /응답 마감 시간이 지나/);
  assert.equal(await late.locator('button').count(), 0);
  await late.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shotDir, 'portal-closed.png'), fullPage: true });

  // A forged form post for the closed event is refused with a clear page.
  const res = await page.request.post(baseUrl + links['1'], {
    form: { event_id: lateEvent, answer: 'accept' },
    maxRedirects: 0,
  });
  assert.equal(res.status(), 409);
  assert.match(await res.text(), /응답이 마감되었습니다/);
  assert.equal(sql(`SELECT answer FROM responses WHERE event_id = ${lateEvent} AND customer_id = 1`), '0');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a hostile customer name is shown as text, never run', async () => {
  const { context, page, problems } = await phonePage('ko-KR');
  await page.goto(baseUrl + links['2']);
  assert.equal(await page.textContent('.greeting'), '<script>alert(1)</script> 고객님');
  assert.equal(await page.locator('main script').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

// The answer page on a 390 px phone, in both languages: the chosen answer
// is a filled, pressed button with a check mark and the "Your answer" row;
// the page says what is asked (reduce during HH:MM–HH:MM); "answers
// closed" is information, not an error; the time range never breaks
// inside the day or the hours.
async function checkPhoneLayout(locale, customer, chosen, other, shot) {
  const { context, page, problems } = await phonePage(locale);
  await page.goto(baseUrl + links[customer]);
  const open = page.locator(`#event-${openEvent}`);
  const pressed = open.locator(`button.${chosen}`);
  const unpressed = open.locator(`button.${other}`);
  assert.equal(await pressed.getAttribute('aria-pressed'), 'true');
  assert.equal(await unpressed.getAttribute('aria-pressed'), 'false');
  const bg = (loc) => loc.evaluate((el) => getComputedStyle(el).backgroundColor);
  const check = (loc) => loc.evaluate((el) => getComputedStyle(el, '::before').content);
  assert.notEqual(await bg(pressed), 'rgb(255, 255, 255)');   // filled
  assert.equal(await bg(unpressed), 'rgb(255, 255, 255)');    // outlined only
  assert.match(await check(pressed), /✓/);
  assert.equal(await check(unpressed), 'none');
  assert.match(await open.locator('.asked').textContent(), /\d\d:\d\d–\d\d:\d\d/);

  for (const id of [openEvent, lateEvent]) {
    const parts = page.locator(`#event-${id} .window .nowrap`);
    assert.equal(await parts.count(), 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(await parts.nth(i).evaluate((el) => el.getClientRects().length), 1,
        `time range part ${i} of event ${id} wraps`);
    }
  }
  const closedBg = await page.locator(`#event-${lateEvent} .closed`)
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  const [r, g] = closedBg.match(/\d+/g).map(Number);
  assert.ok(r - g < 16, `"answers closed" looks like an error (${closedBg})`);
  await page.screenshot({ path: path.join(shotDir, shot), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
}

test('390 px phone, English: chosen answer, what is asked, closed, time range', async () => {
  await checkPhoneLayout('en-US', '3', 'accept', 'deny', 'portal-390-en.png');
});

test('390 px phone, Korean: chosen answer, what is asked, closed, time range', async () => {
  await checkPhoneLayout('ko-KR', '1', 'deny', 'accept', 'portal-390-ko.png');
});

test('the page updates itself when the event ends (with JavaScript)', async () => {
  const { context, page, problems } = await phonePage('ko-KR');
  await page.goto(baseUrl + links['3']);
  assert.equal(await page.locator(`#event-${openEvent} button`).count(), 2);
  assert.equal(await page.isVisible('.live'), true);
  ctl('event', 'end', openEvent);
  await page.waitForSelector(`#event-${openEvent} .closed`, { timeout: 15000 });
  assert.match(await page.locator(`#event-${openEvent} .closed`).textContent(), /끝났습니다/);
  await page.screenshot({ path: path.join(shotDir, 'portal-ended-live.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});
