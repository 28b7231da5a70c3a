// The Content-Security-Policy in a real browser (issue 8): the app, served with the server's CSP
// (script-src 'self' 'wasm-unsafe-eval' plus the hash of index.html's one inline module script,
// style-src 'self', frame-ancestors 'none'), loads, signs in, draws and streams with no violation
// at all; a script injected inline into the page is refused (so the policy is in force, and the
// violation listener would have seen one); the document says it may not be framed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, baseUrl, diagnostics, launch, newPage, openApp, signIn } from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Records every CSP violation the page reports, from its first script on.
async function watchViolations(page) {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI || 'inline'}`);
    });
  });
}

describe('content security policy', () => {
  test('the app loads, signs in and goes live under the CSP with no violation; inline script is refused', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await watchViolations(page);
      await signIn(page, BASE, 'operator');
      const doc = await page.goto(`${BASE}/?l=hazards,sensors,cases&lang=zh`, { waitUntil: 'domcontentloaded' });
      const csp = doc.headers()['content-security-policy'] || '';
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/, csp);
      assert.match(csp, /frame-ancestors 'none'/, csp);
      assert.doesNotMatch(csp, /unsafe-inline/, 'nothing inline beyond the hashed loader');
      await openApp(page, BASE, '/?l=hazards,sensors,cases&lang=zh', { as: null });
      await page.locator('[data-testid=live-status][data-state=live]').waitFor({ timeout: 15_000 });
      // Open something, so the panels' styles and the details are exercised too.
      await page.locator('[data-testid=case-item]').first().click().catch(() => {});
      await page.waitForTimeout(500);
      const clean = await page.evaluate(() => window.__cspViolations.slice());
      assert.deepEqual(clean, [], `no CSP violation while the app runs${diagnostics(page)}`);
      assert.equal(page.errors.filter((e) => /Content Security Policy/i.test(e)).length, 0, diagnostics(page));

      // An injected inline script does not run, and is reported.
      const ran = await page.evaluate(async () => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true;';
        document.head.appendChild(s);
        await new Promise((r) => setTimeout(r, 100));
        return window.__injected === true;
      });
      assert.equal(ran, false, 'an inline script injected into the page must not run');
      const after = await page.evaluate(() => window.__cspViolations.slice());
      assert.ok(after.some((v) => /^script-src/.test(v)), `the refusal is reported: ${after}`);
    } finally {
      await page.close();
    }
  });
});
