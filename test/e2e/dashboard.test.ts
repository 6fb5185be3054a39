/// <reference lib="dom" />
/**
 * End to end: the dashboard in headless Chromium (Debian's, driven by playwright-core) against the
 * real API, a real consumer and the real servers of the test run. Screenshots of each page go to
 * test-results/screenshots/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../services/consumer/src/main';
import { loadApiConfig } from '../../services/api/src/config';
import { start as startApi, type RunningApi } from '../../services/api/src/main';
import { waitForHttp, freePort, REPO_ROOT } from '@userforge/devstack';
import { testEnv, testMongoUrl } from '@userforge/testkit';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');


describe('dashboard end to end (headless Chromium, real services)', () => {
  let api: RunningApi;
  let consumer: RunningConsumer;
  let vite: ChildProcess;
  let browser: Browser;
  let page: Page;
  let apiBase: string;
  let ui: string;

  const cardValue = async (id: string) => Number(((await page.getByTestId(id).textContent()) ?? '').replace(/[^0-9]/g, ''));
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const uiPort = await freePort();
    ui = `http://127.0.0.1:${uiPort}`;
    const common = { MONGO_URL: testMongoUrl('e2e_dashboard'), REDIS_URL, KAFKA_BROKERS, LOG_LEVEL: 'silent' };
    api = await startApi(loadApiConfig({ ...common, PORT: '0', HOST: '127.0.0.1', CORS_ORIGINS: ui }));
    apiBase = `http://127.0.0.1:${api.port}`;
    consumer = await startConsumer(
      loadConsumerConfig({ ...common, METRICS_PORT: '0', KAFKA_GROUP_ID: `e2e-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `e2e-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000' }),
    );
    vite = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), '--port', String(uiPort), '--strictPort', '--host', '127.0.0.1'], {
      cwd: path.join(REPO_ROOT, 'dashboard'),
      env: { ...process.env, VITE_API_URL: apiBase },
      stdio: 'ignore',
    });
    await waitForHttp(`${ui}/`, 60_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    vite?.kill('SIGTERM');
    await consumer?.stop();
    await api?.stop();
  });

  it('shows the overview, starts a job from the UI and watches it reach 100%; the cards change', async () => {
    await page.goto(`${ui}/#/`);
    await page.getByTestId('card-total-users').waitFor();
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="card-total-users"]')?.textContent ?? ''));
    const before = await cardValue('card-total-users');
    await shot('overview-before');

    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('Number of users').fill('3000');
    await page.getByLabel('Chunk size (optional)').fill('1000');
    const clicked = Date.now();
    await page.getByRole('button', { name: 'Start job' }).click();
    const bar = page.getByRole('progressbar').first();
    await bar.waitFor();
    console.log(`first progress on screen ${Date.now() - clicked} ms after "Start job"`);
    await page.waitForFunction(() => document.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow') === '100', undefined, { timeout: 90_000 });
    await page.waitForTimeout(600); // let the bar's width transition finish for the screenshot
    await shot('jobs');

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.waitForFunction(
      (expected) => Number((document.querySelector('[data-testid="card-total-users"]')?.textContent ?? '').replace(/[^0-9]/g, '')) === expected,
      before + 3000,
      { timeout: 30_000 },
    );
    await shot('overview-after');
  });

  it('pages through the users table and filters it; the view lives in the URL', async () => {
    await page.goto(`${ui}/#/users`);
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(10);
    const firstPageFirst = await rows.first().textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText(/Page 2 of/).waitFor();
    await page.waitForFunction((prev) => document.querySelector('tbody tr')?.textContent !== prev, firstPageFirst);
    expect(page.url()).toMatch(/page=2/);

    await page.getByLabel('Gender').selectOption('female');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText(/Page 1 of/).waitFor();
    expect(page.url()).toMatch(/gender=female/);
    const total = (await (await fetch(`${apiBase}/v1/users/count?gender=female`)).json()) as { total: number };
    await page.getByText(new RegExp(`Page 1 of ${Math.ceil(total.total / 10)}`)).waitFor();
    await shot('users');

    // A link reopens the same view.
    const link = page.url();
    const other = await browser.newPage();
    await other.goto(link);
    await other.getByText(/Page 1 of/).waitFor();
    expect(await other.getByLabel('Gender').inputValue()).toBe('female');
    await other.close();
  });

  it('opens a user, edits it, and deletes it', async () => {
    await page.goto(`${ui}/#/users`);
    await page.locator('tbody tr').first().click();
    const dialog = page.getByRole('dialog', { name: 'User details' });
    await dialog.waitFor();
    const email = (await dialog.getByText(/@/).first().textContent())!.trim();
    const user = (await (await fetch(`${apiBase}/v1/users?email=${encodeURIComponent(email)}`)).json()) as { data: { id: string }[] };
    const id = user.data[0]!.id;

    await dialog.getByRole('button', { name: 'Edit' }).click();
    await dialog.getByLabel('Job title').fill('End-to-end Tester');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('End-to-end Tester').waitFor();
    expect(((await (await fetch(`${apiBase}/v1/users/${id}`)).json()) as { jobTitle: string }).jobTitle).toBe('End-to-end Tester');
    await shot('user-details');

    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Confirm delete' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await fetch(`${apiBase}/v1/users/${id}`)).status).toBe(404);
  });
});
