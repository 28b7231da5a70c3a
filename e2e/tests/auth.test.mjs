// Accounts in the browser (issue 8): the sign-in screen (nothing of the map is fetched before
// it), an operator moving a case through the status machine from the details panel and seeing
// the change come back over the stream, sign-out (back to the sign-in, /api/session 401); a
// viewer sees masked contacts and no action; an officer opens a hazard's contacts (full number,
// a tel: link) and the audit log has the read; a forged cookie gets the sign-in screen; a
// session revoked under an open map brings the sign-in over it (view and selection kept) and
// signing in again carries on; a scoped officer outside their subdistrict is told which
// permission is missing; wrong passwords and too many attempts are said clearly; a wall pairs
// with a code and shows its device name. Screenshots of the sign-in and of a signed-in status
// bar at 1920×1080 and 390×844 go to target/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  PASSWORDS, SESSION_COOKIE, TEST_TIMEOUT, apiKey, baseUrl, call, diagnostics, ensureScreenshotDir, fetchJson,
  launch, login, newPage, openApp, postJson, settledView, waitReady,
} from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;
let hazards;

before(async () => {
  browser = await launch();
  hazards = (await fetchJson(`${BASE}/data/hazards.geojson`)).features
    .filter((f) => f.geometry && (f.properties.contacts || []).length > 0);
});
after(async () => { await browser?.close(); });

const signin = (page) => page.locator('[data-testid=signin]');

async function expectSignIn(page, state = 'screen') {
  await page.locator(`[data-testid=signin][data-state=${state}]`).waitFor({ state: 'visible', timeout: 15_000 });
}

// Fills the sign-in form and submits it.
async function submit(page, user, password = PASSWORDS[user]) {
  await page.locator('[data-testid=signin-username]').fill(user);
  await page.locator('[data-testid=signin-password]').fill(password);
  await page.locator('[data-testid=signin-submit]').click();
}

// Opens `hazard`'s details by clicking it on the map.
async function clickHazard(page, hazard) {
  const [lon, lat] = hazard.geometry.coordinates;
  const box = await page.locator('[data-testid=map-canvas]').boundingBox();
  const [x, y] = await page.evaluate(([a, b]) => window.__pingan.project(a, b), [lon, lat]);
  await page.mouse.click(box.x + x, box.y + y);
  const details = page.locator('[data-testid=details]');
  await details.waitFor({ state: 'visible', timeout: 5_000 });
  assert.equal((await details.locator('[data-testid=details-id]').textContent()).trim(), hazard.properties.id);
  return details;
}

const hazardPath = (h) => `/?c=${h.geometry.coordinates[0]},${h.geometry.coordinates[1]}&z=19&l=hazards&lang=zh`;

// An own session (not the shared one: these tests revoke or sign out).
async function ownSession(page, user) {
  const value = await login(BASE, user);
  await page.context().addCookies([{ name: SESSION_COOKIE, value, url: BASE, httpOnly: true, sameSite: 'Strict' }]);
  return value;
}

describe('accounts in the app', () => {
  test('an operator signs in, moves a case on from its details, sees it change, and signs out', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    const data = [];
    page.on('request', (r) => { if (/\/(data|api\/(cases|live))\b/.test(r.url())) data.push(r.url()); });
    try {
      const h = hazards[0];
      const [lon, lat] = h.geometry.coordinates;
      await page.goto(`${BASE}/?c=${lon},${lat}&z=17`, { waitUntil: 'domcontentloaded' });
      await expectSignIn(page);
      await page.waitForTimeout(300);
      assert.deepEqual(data, [], 'nothing of the map is fetched before signing in');
      assert.notEqual(await page.evaluate(() => document.documentElement.dataset.ready), 'true');
      assert.match(await signin(page).innerText(), /登录/, 'the sign-in is in Chinese by default');

      await submit(page, 'operator');
      await waitReady(page);
      assert.equal(await signin(page).count(), 0, 'the sign-in is gone');
      assert.equal((await page.locator('[data-testid=account-role]').textContent()).trim(), '指挥调度');
      assert.ok((await page.locator('[data-testid=account-name]').textContent()).trim().length > 0);
      await page.locator('[data-testid=live-status][data-state=live]').waitFor({ timeout: 15_000 });

      // A case reported next to the hazard reaches the list; its details offer the next
      // statuses the status machine allows (reported → accepted, returned).
      const created = await postJson(BASE, '/api/cases', {
        category: 'dispute', lon: lon + 0.0002, lat: lat + 0.0002, description: '端到端测试：流转',
      }, { as: 'officer' });
      const number = `AJ${String(created.id).padStart(8, '0')}`;
      const row = page.locator(`[data-testid=case-item][data-id="${number}"]`);
      await row.waitFor({ timeout: 5_000 });
      await row.click();
      const details = page.locator('[data-testid=details]');
      await details.waitFor({ state: 'visible' });
      await page.waitForFunction((n) => document.querySelector('[data-testid=details-id]')?.textContent.trim() === n, number);
      const offered = await details.locator('[data-testid=actions] button').evaluateAll((bs) => bs.map((b) => b.dataset.testid));
      assert.deepEqual(offered.sort(), ['action-accepted', 'action-returned'], `offered ${offered}`);
      await details.locator('[data-testid=action-note]').fill('端到端：受理');
      await details.locator('[data-testid=action-accepted]').click();
      // The change comes back over the stream: list and details follow, and the store has it.
      await page.waitForFunction((n) => document.querySelector(`[data-testid=case-item][data-id="${n}"]`)?.dataset.status === 'accepted', number, { timeout: 5_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid=details-row-status]')?.textContent.includes('已受理'), null, { timeout: 5_000 });
      const after1 = await details.locator('[data-testid=actions] button').evaluateAll((bs) => bs.map((b) => b.dataset.testid));
      assert.deepEqual(after1.sort(), ['action-dispatched', 'action-returned'], 'accepted → dispatched or returned');
      const stored = await (await call(BASE, 'GET', `/api/cases/${created.id}`, { as: 'viewer' })).json();
      assert.match(JSON.stringify(stored), /"status":"accepted"/, 'the store has the transition');

      // Sign out: back to the sign-in; the session is gone on the server.
      await page.locator('[data-testid=sign-out]').click();
      await expectSignIn(page);
      const status = await page.evaluate(async () => (await fetch('/api/session')).status);
      assert.equal(status, 401, 'GET /api/session after signing out');
      // Chromium logs every 401 of GET /api/session (signed out) as a console error; nothing else.
      const others = page.errors.filter((e) => !/status of 401/.test(e));
      assert.deepEqual(others, [], diagnostics(page));
    } finally {
      await page.close();
    }
  });

  test('an operator acknowledges an alert from the sensor\'s details; the ticker says who acknowledged it', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      // A sensor with no active alert (one active alert per sensor: an acknowledged one stays).
      const active = new Set((await (await call(BASE, 'GET', '/api/alerts', { as: 'operator' })).json()).alerts
        .filter((a) => a.cleared_at === null).map((a) => a.sensor));
      const sensors = (await fetchJson(`${BASE}/data/sensors.geojson`)).features
        .filter((f) => f.geometry && !active.has(f.properties.id ?? f.id) && Number(f.properties.alarm) > 0);
      assert.ok(sensors.length > 0, 'a sensor without an active alert');
      const s = sensors[sensors.length - 1];
      const id = s.properties.id ?? s.id;
      const [lon, lat] = s.geometry.coordinates;
      await openApp(page, BASE, `/?c=${lon},${lat}&z=18&l=sensors&lang=zh`, { as: 'operator' });
      await page.locator('[data-testid=live-status][data-state=live]').waitFor({ timeout: 15_000 });
      const key = await apiKey(BASE);
      const r = await fetch(`${BASE}/api/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ readings: [{ sensor: id, value: Number(s.properties.alarm) * 2 }] }),
      });
      assert.equal(r.status, 200, await r.text());
      const item = page.locator(`[data-testid=alert-item][data-sensor="${id}"]`);
      await item.first().waitFor({ timeout: 10_000 });
      assert.equal(await item.first().getAttribute('data-acked'), 'false');
      const box = await page.locator('[data-testid=map-canvas]').boundingBox();
      const [x, y] = await page.evaluate(([a, b]) => window.__pingan.project(a, b), [lon, lat]);
      await page.mouse.click(box.x + x, box.y + y);
      const details = page.locator('[data-testid=details]');
      await details.waitFor({ state: 'visible', timeout: 5_000 });
      await details.locator('[data-testid=action-ack]').click();
      await page.waitForFunction((sid) => document.querySelector(`[data-testid=alert-item][data-sensor="${sid}"]`)?.dataset.acked === 'true', id, { timeout: 10_000 });
      const text = await item.first().textContent();
      assert.match(text, /已确认（.+）/, `the ticker says it was acknowledged: ${text}`);
      assert.equal(await details.locator('[data-testid=action-ack]').count(), 0, 'no second acknowledgement offered');
    } finally {
      await page.close();
    }
  });

  test('a viewer sees masked contacts and no action', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      const h = hazards[0];
      await openApp(page, BASE, hazardPath(h), { as: 'viewer' });
      assert.equal((await page.locator('[data-testid=account-role]').textContent()).trim(), '只读');
      const details = await clickHazard(page, h);
      const text = await details.innerText();
      assert.match(text, /1\d{2}\*{4}\d{4}/, 'phones in the details are masked');
      assert.doesNotMatch(text, /1\d{10}/, 'no full mobile number anywhere in the details');
      await details.locator('[data-testid=contacts-masked]').waitFor();
      assert.equal(await details.locator('[data-testid=contacts-show]').count(), 0, 'no Show contacts for a viewer');
      assert.equal(await details.locator('[data-testid=actions]').count(), 0, 'no action for a viewer');
      // A case too: nothing offered.
      const item = page.locator('[data-testid=case-item]').first();
      if (await item.count()) {
        await item.click();
        await page.waitForTimeout(500);
        assert.equal(await page.locator('[data-testid=actions]').count(), 0, 'no case action for a viewer');
      }
      // The layer file itself is masked at the source.
      const raw = JSON.stringify((await fetchJson(`${BASE}/data/hazards.geojson`, { as: 'viewer' })).features.slice(0, 200));
      assert.doesNotMatch(raw, /"1\d{10}"/, 'no full phone number in hazards.geojson');
    } finally {
      await page.close();
    }
  });

  test('an officer opens a hazard\'s contacts: full numbers as tel: links, and the audit log has the read', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      const h = hazards[1];
      const since = Math.floor(Date.now() / 1000) - 5;
      await openApp(page, BASE, hazardPath(h), { as: 'officer' });
      const details = await clickHazard(page, h);
      // An officer changes hazard status but does not move cases.
      await details.locator('[data-testid=actions]').waitFor();
      assert.ok(await details.locator('[data-testid=action-rectified]').count() === 1, 'hazard status offered to an officer');
      await details.locator('[data-testid=contacts-show]').click();
      const phones = details.locator('[data-testid=contact-phone]');
      await phones.first().waitFor({ timeout: 5_000 });
      const shown = await phones.evaluateAll((as) => as.map((a) => [a.textContent.trim(), a.getAttribute('href')]));
      assert.equal(shown.length, h.properties.contacts.length, 'every contact of the hazard');
      for (const [i, [phone, href]] of shown.entries()) {
        assert.match(phone, /^1\d{10}$/, `a full mobile number: ${phone}`);
        assert.equal(href, `tel:${phone}`);
        const masked = h.properties.contacts[i].phone;
        assert.equal(masked.slice(0, 3) + masked.slice(-4), phone.slice(0, 3) + phone.slice(-4), `${phone} is the number behind ${masked}`);
      }
      // The read is in the audit log (as the admin reads it).
      let entries = [];
      for (let i = 0; i < 20 && !entries.length; i++) {
        const r = await call(BASE, 'GET', `/api/audit?since=${since}&action=contacts.read`, { as: 'admin' });
        assert.equal(r.status, 200, 'GET /api/audit as admin');
        const j = await r.json();
        entries = (Array.isArray(j) ? j : j.entries || []).filter((e) => JSON.stringify(e).includes(h.properties.id));
        if (!entries.length) await page.waitForTimeout(200);
      }
      assert.ok(entries.length >= 1, `an audit entry for the read of ${h.properties.id}`);
      assert.match(JSON.stringify(entries[0]), /officer/, 'naming the officer');
      assert.equal(page.errors.length, 0, diagnostics(page));
    } finally {
      await page.close();
    }
  });

  test('a scoped officer outside their subdistrict is told so, and offered no change there', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      const h = hazards.find((f) => f.properties.subdistrict && f.properties.subdistrict !== '西乡街道');
      assert.ok(h, 'a hazard outside 西乡街道');
      await openApp(page, BASE, hazardPath(h), { as: 'officer-xixiang' });
      assert.match(await page.locator('[data-testid=account-role]').textContent(), /西乡街道/, 'the scope is shown with the role');
      const details = await clickHazard(page, h);
      await details.locator('[data-testid=contacts-show]').click();
      const err = details.locator('[data-testid=contacts-error]');
      await err.waitFor({ timeout: 5_000 });
      assert.equal((await err.textContent()).trim(), '不在您负责的西乡街道范围内');
      assert.equal(await details.locator('[data-testid=contact-phone]').count(), 0);
      assert.equal(await details.locator('[data-testid=actions]').count(), 0, 'no hazard action outside 西乡街道');
    } finally {
      await page.close();
    }
  });

  test('a forged cookie gets the sign-in screen; wrong passwords and too many attempts are said clearly', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await page.context().addCookies([{ name: SESSION_COOKIE, value: 'forged-0123456789abcdef', url: BASE }]);
      await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
      await expectSignIn(page);
      // English switch on the sign-in.
      await page.locator('[data-testid=signin-lang]').click();
      assert.match(await signin(page).innerText(), /Sign in/);
      // Wrong password (the planner: no other test signs in as them).
      await submit(page, 'planner', 'not-the-password');
      const err = page.locator('[data-testid=signin-error]');
      await page.waitForFunction(() => document.querySelector('[data-testid=signin-error]')?.textContent.trim().length > 0);
      assert.equal((await err.textContent()).trim(), 'Wrong username or password');
      // An unknown user reads the same.
      await submit(page, 'nobody-here', 'x');
      await page.waitForTimeout(300);
      await page.waitForFunction(() => !document.querySelector('[data-testid=signin-submit]').disabled);
      assert.equal((await err.textContent()).trim(), 'Wrong username or password');
      // Keep trying: the server's limit answers 429 and the form says how long to wait.
      let text = '';
      for (let i = 0; i < 12 && !/try again/.test(text); i++) {
        await submit(page, 'planner', `wrong-${i}`);
        await page.waitForFunction(() => !document.querySelector('[data-testid=signin-submit]').disabled);
        text = (await err.textContent()).trim();
      }
      assert.match(text, /Too many attempts: try again in \d+ s/);
    } finally {
      await page.close();
    }
  });

  test('a revoked session brings the sign-in over the map, which keeps its view and selection; signing in again carries on', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      const h = hazards[2];
      const cookie = await ownSession(page, 'viewer');
      await openApp(page, BASE, hazardPath(h), { as: null });
      await page.locator('[data-testid=live-status][data-state=live]').waitFor({ timeout: 15_000 });
      await clickHazard(page, h);
      const v0 = await settledView(page);
      // Revoked elsewhere (as logging out in another tab does).
      const r = await fetch(`${BASE}/api/session`, { method: 'DELETE', headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-pingan-csrf': '1' } });
      assert.equal(r.status, 204);
      await expectSignIn(page, 'overlay');
      assert.equal(await page.locator('[data-testid=map-canvas]').count(), 1, 'the map stays mounted');
      assert.equal(await page.locator('[data-testid=details-id]').textContent(), h.properties.id, 'the selection stays');
      assert.equal((await page.locator('[data-testid=signin-username]').inputValue()), 'viewer', 'the username is kept');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'signin-password', 'typing starts at the password');
      await page.locator('[data-testid=signin-password]').fill(PASSWORDS.viewer);
      // While it is lost, every reconnect attempt is refused and asks the server again (401):
      // that must not reset what the user typed. Forced here so it happens every run.
      const refused = page.waitForResponse((r) => r.url().endsWith('/api/session') && r.request().method() === 'GET' && r.status() === 401, { timeout: 15_000 });
      await page.evaluate(() => window.__pingan.live.drop(0));
      await refused;
      await page.waitForTimeout(300);
      assert.equal(await page.locator('[data-testid=signin-password]').inputValue(), PASSWORDS.viewer, 'a refused reconnect keeps the typed password');
      const posted = page.waitForRequest((r) => r.url().endsWith('/api/session') && r.method() === 'POST', { timeout: 5_000 });
      await page.locator('[data-testid=signin-submit]').click();
      await posted;
      await signin(page).waitFor({ state: 'detached', timeout: 10_000 });
      await page.locator('[data-testid=live-status][data-state=live]').waitFor({ timeout: 15_000 });
      const v1 = await settledView(page);
      assert.deepEqual(v1, v0, 'the view is as it was');
      assert.equal(await page.locator('[data-testid=details-id]').textContent(), h.properties.id);
    } finally {
      await page.close();
    }
  });

  test('a wall pairs with a code, drops it from the address and shows its device name', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      const device = await postJson(BASE, '/api/devices', { name: '指挥大厅 1 号屏' }, { as: 'admin' });
      assert.match(device.pairing_code, /^\d{8}$/);
      await page.goto(`${BASE}/?mode=wall&pair=${device.pairing_code}`, { waitUntil: 'domcontentloaded' });
      await waitReady(page);
      assert.equal(new URL(page.url()).searchParams.get('pair'), null, 'pair is dropped from the address');
      assert.equal(new URL(page.url()).searchParams.get('mode'), 'wall');
      // The wall shows no panels (issue 9): who it is signed in as, asked with its own cookie.
      const me = await page.evaluate(async () => (await fetch('/api/session')).json());
      const who = me.user ?? me;
      assert.equal(who.kind, 'device');
      assert.equal(who.display_name, '指挥大厅 1 号屏');
      assert.equal(await page.locator('[data-testid=sign-out]').count(), 0, 'a wall has no sign-out');
      assert.equal(await page.locator('button').count(), 0, 'a wall has no buttons');
      // Reloaded, it stays signed in: never a password form.
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitReady(page);
      assert.equal(await signin(page).count(), 0);
      // The code was one use.
      const again = await fetch(`${BASE}/api/devices/pair`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-pingan-csrf': '1' },
        body: JSON.stringify({ code: device.pairing_code }),
      });
      assert.ok(again.status >= 400 && again.status < 500, `a used code is refused: ${again.status}`);
    } finally {
      await page.close();
    }
  });

  test('screenshots: the sign-in and a signed-in status bar at 1920×1080 and 390×844', { timeout: TEST_TIMEOUT }, async () => {
    const dir = ensureScreenshotDir();
    for (const s of [
      { name: '1920x1080', viewport: { width: 1920, height: 1080 } },
      { name: '390x844', viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true },
    ]) {
      const page = await newPage(browser, { viewport: s.viewport, deviceScaleFactor: s.deviceScaleFactor, isMobile: s.isMobile, hasTouch: s.hasTouch });
      try {
        await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
        await expectSignIn(page);
        await page.locator('[data-testid=signin-username]').fill('operator');
        await page.screenshot({ path: join(dir, `signin-${s.name}.png`) });
        const card = await page.locator('.signin-card').boundingBox();
        assert.ok(card.x >= 0 && card.x + card.width <= s.viewport.width + 0.5, `the card fits the width: ${JSON.stringify(card)}`);
        await openApp(page, BASE, '/', { as: 'operator' });
        const bar = page.locator('.statusbar');
        await bar.screenshot({ path: join(dir, `statusbar-${s.name}.png`) });
        await page.screenshot({ path: join(dir, `signed-in-${s.name}.png`) });
        const name = await page.locator('[data-testid=account-name]').boundingBox();
        assert.ok(name && name.x + name.width <= s.viewport.width + 0.5, `the account name is on screen: ${JSON.stringify(name)}`);
      } finally {
        await page.close();
      }
    }
  });
});
