/**
 * The demo, end to end. One file, so its two `next build`s run one after the other (they share
 * examples/chat's tsconfig.json and next-env.d.ts, which Next rewrites while building).
 *
 * The example chat (examples/chat) in real Chromium against a real Soketi: a production build
 * (`next build` once per run), `next start` on a free port, two users in two browser contexts.
 * Every step writes a screenshot under test-output/e2e/. Any console error or uncaught page
 * error fails the run; the only exception is the browser's own "WebSocket connection failed"
 * line while Soketi is deliberately down for the restart step (it is the outage being tested).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChatApp, buildLibrary, repositoryRoot, startChatApp, type ChatAppProcess } from '../../scripts/chatApp.mjs';
import { freePort, nextRealtimeEnv, startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { pidIsAlive, portIsFree } from '../support/processes.js';
import { restartSoketi } from '../support/soketiRestart.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(repositoryRoot, 'test-output', 'e2e');
const DIST_DIR = '.next-e2e';
const STEP_TIMEOUT = 60_000;

let soketi: SoketiProcess;
let app: ChatAppProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
let alice: Page;
let bob: Page;

interface ConsoleProblem {
  page: string;
  text: string;
  url?: string;
}
const consoleProblems: ConsoleProblem[] = [];
const toleratedDuringOutage: ConsoleProblem[] = [];
const expectedRefusals: ConsoleProblem[] = [];
/** Small, so the limit step needs few tabs. */
const MAX_CONNECTIONS_PER_USER = 3;
let soketiDown = false;
/** When both users were connected again after the Soketi restart. */
let reconnectedAt = 0;
/** The connection guard's default join grace (src/server/connections/connectionGuard.ts). */
const JOIN_GRACE_MS = 10_000;
let shotNumber = 0;

async function screenshot(page: Page, name: string): Promise<void> {
  shotNumber += 1;
  await page.screenshot({ path: path.join(SCREENSHOTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`) });
}

/** `expected`: console errors this one page is there to cause (the over-the-limit tab's 429s). */
function watchConsole(page: Page, label: string, expected?: RegExp): void {
  const outageLine = new RegExp(`^WebSocket connection to 'wss?://[^/]+:${soketi.port}/app/`);
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // The location names the request behind a "Failed to load resource" line.
    const problem = { page: label, text: message.text(), url: message.location().url };
    if (soketiDown && outageLine.test(problem.text)) toleratedDuringOutage.push(problem);
    else if (expected?.test(problem.text)) expectedRefusals.push(problem);
    else consoleProblems.push(problem);
  });
  page.on('pageerror', (error) => consoleProblems.push({ page: label, text: `uncaught: ${error.stack ?? error.message}` }));
}

async function openPage(context: BrowserContext, label: string, expected?: RegExp): Promise<Page> {
  const page = await context.newPage();
  watchConsole(page, label, expected);
  return page;
}

/** The two widths every layout check and screenshot uses: a laptop and a phone. */
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function signIn(name: string, viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await openPage(context, name);
  await page.goto(`${app.url}/`);
  await page.getByTestId('name').fill(name);
  await page.getByTestId('sign-in').click();
  await page.waitForURL('**/rooms/lobby');
  await expectConnected(page);
  return page;
}

async function expectConnected(page: Page, timeout = 20_000): Promise<void> {
  await page.locator('[data-testid=connection-state][data-state=connected]').waitFor({ timeout });
}

function presence(page: Page, userId: string) {
  return page.locator(`[data-testid=presence] li[data-user-id="${userId}"]`);
}

function messages(page: Page, fromUserId: string, text: string) {
  return page.locator(`[data-testid=messages] li[data-from="${fromUserId}"]`).filter({ hasText: text });
}

/**
 * The page fits its viewport: no horizontal scrolling, and each of `controls` lies inside the
 * viewport's width (reachable without scrolling sideways).
 */
async function expectNoHorizontalOverflow(page: Page, controls: string[]): Promise<void> {
  const width = page.viewportSize()!.width;
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  for (const selector of controls) {
    const box = await page.locator(selector).first().boundingBox();
    expect(box, selector).not.toBeNull();
    expect(box!.x, selector).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, selector).toBeLessThanOrEqual(width);
  }
}

/** A message bubble wraps its text: nothing runs out of it. */
async function expectWrapped(page: Page, fromUserId: string, text: string): Promise<void> {
  const bubble = messages(page, fromUserId, text);
  const overflow = await bubble.evaluate((element) => element.scrollWidth - element.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const [bubbleBox, listBox] = [await bubble.boundingBox(), await page.getByTestId('messages').boundingBox()];
  expect(bubbleBox!.x + bubbleBox!.width).toBeLessThanOrEqual(listBox!.x + listBox!.width + 1);
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('send').click();
  // The server action's round trip: seconds on a loaded 2-core machine, not expect.poll's default 1 s.
  await expect.poll(() => page.getByTestId('composer').inputValue(), { timeout: 10_000 }).toBe('');
}

beforeAll(async () => {
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  // `npm test` builds dist/ before vitest runs; a lone `vitest run test/e2e` builds it if missing.
  if (!existsSync(path.join(repositoryRoot, 'dist', 'server', 'index.js'))) {
    await buildLibrary({ quiet: true });
  }
  soketi = await startSoketi({ quiet: true });
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    ...nextRealtimeEnv(soketi),
    REALTIME_TOKEN_SECRETS: `e2e:${randomBytes(32).toString('base64url')}`,
    REALTIME_MAX_CONNECTIONS_PER_USER: String(MAX_CONNECTIONS_PER_USER),
  };
  // NEXT_PUBLIC_* are inlined at build time, so the build knows this run's Soketi port.
  const started = Date.now();
  await buildChatApp({ env, distDir: DIST_DIR, quiet: true });
  console.log(`next build of examples/chat: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // E2E_APP_LOG=1 shows the app's server log (what a 500 was, say).
  app = await startChatApp({ env, port: await freePort(), distDir: DIST_DIR, quiet: !process.env.E2E_APP_LOG });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // playwright gives every launch a fresh temporary user-data-dir and deletes it on close.
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 600_000);

let demoProcess: ReturnType<typeof spawn> | undefined;

afterAll(async () => {
  // Only if an assertion failed half-way: the demo must not outlive the test.
  if (demoProcess && demoProcess.exitCode === null) demoProcess.kill('SIGKILL');
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await app?.stop();
  await soketi?.stop();
}, 60_000);

describe('example chat in Chromium on Soketi', () => {
  it('two users sign in and see each other in the room presence list', async () => {
    alice = await signIn('Alice');
    bob = await signIn('Bob');
    await presence(alice, 'bob').waitFor();
    await presence(bob, 'alice').waitFor();
    await expect.poll(() => alice.locator('[data-testid=presence] li').count()).toBe(2);
    // Nobody has written in the lobby yet: the room says so.
    await alice.getByTestId('empty-room').getByText('No messages in #Lobby yet').waitFor();
    await screenshot(alice, 'alice-sees-bob-in-presence-1280');
  }, STEP_TIMEOUT);

  it('shows a typing indicator sent as a client event', async () => {
    await alice.getByTestId('composer').pressSequentially('hel', { delay: 30 });
    await bob.getByTestId('typing').getByText('Alice is typing…').waitFor({ timeout: 5000 });
    expect(await alice.getByTestId('typing').innerText()).not.toContain('typing');
    await screenshot(bob, 'bob-sees-alice-typing');
    await alice.getByTestId('composer').fill('');
  }, STEP_TIMEOUT);

  it("delivers Alice's message to Bob, and to Alice exactly once (sender excluded)", async () => {
    await send(alice, 'hello from alice');
    await messages(bob, 'alice', 'hello from alice').waitFor();
    await send(bob, 'hi alice, bob here');
    await messages(alice, 'bob', 'hi alice, bob here').waitFor();
    // Give a duplicate (an echo the exclusion failed to stop) time to arrive before counting.
    await alice.waitForTimeout(1000);
    expect(await messages(alice, 'alice', 'hello from alice').count()).toBe(1);
    expect(await messages(bob, 'alice', 'hello from alice').count()).toBe(1);
    expect(await messages(bob, 'bob', 'hi alice, bob here').count()).toBe(1);
    await screenshot(bob, 'bob-received-alice-message');
  }, STEP_TIMEOUT);

  it("sends a wave to Bob's private notifications channel, which Alice may not subscribe to", async () => {
    await alice.getByTestId('wave-bob').click();
    // Alice sees that her wave went out.
    await alice.getByTestId('wave-feedback').getByText('You waved at Bob.').waitFor();
    await alice.getByTestId('wave-bob').getByText('waved ✓').waitFor();
    await screenshot(alice, 'alice-waved-at-bob');
    await bob.getByTestId('notifications').getByText('Alice waved at you from #lobby').waitFor();
    expect(await alice.getByTestId('notifications').getByText('waved at you').count()).toBe(0);
    // The policy refuses Bob's private channel to Alice's session.
    const refused = await alice.request.post(`${app.url}/api/realtime/auth`, {
      form: { socket_id: '1234.5678', channel_name: 'private-notifications.bob' },
    });
    expect(refused.status()).toBe(403);
    await screenshot(bob, 'bob-got-a-wave');
  }, STEP_TIMEOUT);

  it('drops Alice from the presence list when she leaves the room, and shows her again when she is back', async () => {
    await alice.getByRole('link', { name: '#Random' }).click();
    await alice.waitForURL('**/rooms/random');
    await alice.getByTestId('empty-room').getByText('No messages in #Random yet').waitFor();
    await presence(bob, 'alice').waitFor({ state: 'detached', timeout: 20_000 });
    await screenshot(bob, 'bob-sees-alice-left-lobby');
    await alice.getByRole('link', { name: '#Lobby' }).click();
    await alice.waitForURL('**/rooms/lobby');
    await presence(bob, 'alice').waitFor({ timeout: 20_000 });
    await presence(alice, 'bob').waitFor({ timeout: 20_000 });
  }, STEP_TIMEOUT);

  it('a room page rendered while messages keep arriving shows its history, then every later message once, none missing', async () => {
    const erin = await signIn('Erin');
    // Bob writes without pause while Erin's page is rendered again (a reload: the server reads
    // the room's history, the browser hydrates, connects and subscribes from the render's cursor).
    const sent: string[] = [];
    let stop = false;
    const stream = (async () => {
      // At most 30, so that the room (50 kept) still holds all of them however slow the reload.
      while (!stop && sent.length < 30) {
        const text = `stream ${sent.length + 1}`;
        await send(bob, text);
        sent.push(text);
      }
      while (!stop) await bob.waitForTimeout(100);
      // And a few after Erin is back, so the last ones arrive live.
      for (let extra = 0; extra < 3; extra++) {
        const text = `stream ${sent.length + 1}`;
        await send(bob, text);
        sent.push(text);
      }
    })();
    await expect.poll(() => sent.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    const document = await erin.reload();
    const renderedHtml = (await document?.text()) ?? '';
    await expectConnected(erin);
    stop = true;
    await stream;
    await messages(erin, 'bob', sent.at(-1)!).waitFor({ timeout: 20_000 });
    // Time for a duplicate or a late one to show up before counting.
    await erin.waitForTimeout(1500);
    const shown = await erin.locator('[data-testid=messages] li[data-from=bob] .text').allInnerTexts();
    const rendered = sent.filter((text) => renderedHtml.includes(`>${text}<`));
    console.log(`render-with-cursor: Bob sent ${sent.length}, ${rendered.length} were in the server-rendered page, the rest arrived after it`);
    // The page came from history (the messages sent before the reload are in its HTML) ...
    expect(rendered.length).toBeGreaterThanOrEqual(3);
    expect(rendered).toEqual(sent.slice(0, rendered.length));
    // ... and shows every message of the stream exactly once, in order: none lost between the
    // render and the subscription, none twice.
    expect(shown.filter((text) => text.startsWith('stream '))).toEqual(sent);
    // The room's earlier conversation is there too, from history.
    expect(await messages(erin, 'alice', 'hello from alice').count()).toBe(1);
    await screenshot(erin, 'erin-rendered-while-bob-writes');
    await erin.context().close();
    await presence(alice, 'erin').waitFor({ state: 'detached', timeout: 20_000 });
  }, STEP_TIMEOUT * 2);

  it('at 390 px (a phone) nothing overflows, every control is reachable, and a 500-character word wraps', async () => {
    const carol = await signIn('Carol', PHONE);
    await presence(carol, 'alice').waitFor({ timeout: 20_000 });
    const controls = ['[data-testid=composer]', '[data-testid=send]', '[data-testid=logout]', '[data-testid=connection-state]', '[data-testid=wave-alice]', 'a[href="/rooms/random"]'];
    await expectNoHorizontalOverflow(carol, controls);
    await screenshot(carol, 'carol-lobby-390');

    const longWord = 'w'.repeat(500);
    await carol.getByTestId('composer').fill(longWord);
    // A real click: playwright refuses it if Send is hidden, covered or outside the page.
    await carol.getByTestId('send').click();
    await expect.poll(() => carol.getByTestId('composer').inputValue(), { timeout: 10_000 }).toBe('');
    await messages(carol, 'carol', longWord).waitFor();
    await expectWrapped(carol, 'carol', longWord);
    await expectNoHorizontalOverflow(carol, controls);
    await screenshot(carol, 'carol-long-word-390');

    await messages(alice, 'carol', longWord).waitFor();
    await expectWrapped(alice, 'carol', longWord);
    await expectNoHorizontalOverflow(alice, ['[data-testid=composer]', '[data-testid=send]', '[data-testid=logout]']);
    await screenshot(alice, 'alice-long-word-1280');
    await carol.context().close();
    await presence(alice, 'carol').waitFor({ state: 'detached', timeout: 20_000 });
  }, STEP_TIMEOUT);

  it('answers malformed session cookies with the sign-in page, never a 500', async () => {
    for (const cookie of ['chat_session=%', 'chat_session=%zz; other=1', 'chat_session=.', 'chat_session=a.b.c']) {
      const home = await fetch(`${app.url}/`, { headers: { cookie } });
      expect(home.status, cookie).toBe(200);
      expect(await home.text(), cookie).toContain('data-testid="name"');
      const room = await fetch(`${app.url}/rooms/lobby`, { headers: { cookie }, redirect: 'manual' });
      expect(room.status, cookie).toBe(307);
      expect(new URL(room.headers.get('location')!, app.url).pathname, cookie).toBe('/');
      const auth = await fetch(`${app.url}/api/realtime/auth`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'socket_id=1.2&channel_name=presence-room.lobby',
      });
      expect(auth.status, cookie).toBe(401);
      const token = await fetch(`${app.url}/api/realtime/token`, { headers: { cookie } });
      expect(token.status, cookie).toBe(401);
    }
  }, STEP_TIMEOUT);

  it('reconnects both users after Soketi restarts on the same port, and they keep chatting', async () => {
    const oldPid = soketi.pid;
    soketiDown = true;
    soketi = await restartSoketi(soketi, {
      downMs: 1500,
      whileDown: async () => {
        // The badge tells the users the connection is gone while Soketi is down.
        await alice.locator('[data-testid=connection-state]:not([data-state=connected])').waitFor({ timeout: 20_000 });
        await bob.locator('[data-testid=connection-state]:not([data-state=connected])').waitFor({ timeout: 20_000 });
        await screenshot(alice, 'alice-while-soketi-is-down');
      },
    });
    expect(soketi.pid).not.toBe(oldPid);
    await Promise.all([expectConnected(alice, 45_000), expectConnected(bob, 45_000)]);
    reconnectedAt = Date.now();
    soketiDown = false;
    await presence(alice, 'bob').waitFor({ timeout: 20_000 });
    await presence(bob, 'alice').waitFor({ timeout: 20_000 });
    await send(alice, 'still here after the restart?');
    await messages(bob, 'alice', 'still here after the restart?').waitFor({ timeout: 20_000 });
    await send(bob, 'yes, reconnected');
    await messages(alice, 'bob', 'yes, reconnected').waitFor({ timeout: 20_000 });
    await screenshot(alice, 'chatting-after-soketi-restart');
  }, STEP_TIMEOUT * 2);

  it(`refuses a user's connection over the limit (${MAX_CONNECTIONS_PER_USER}) until one of their tabs closes`, async () => {
    // A reconnect attempt during the restart may have signed in and then died; its record counts
    // as live for the guard's join grace (the documented "quick reconnect at the limit" case), so
    // this step starts from the steady state: once that grace has passed since the reconnect.
    await bob.waitForTimeout(Math.max(0, reconnectedAt + JOIN_GRACE_MS + 500 - Date.now()));
    const extraTabs: Page[] = [];
    for (let tab = 2; tab <= MAX_CONNECTIONS_PER_USER; tab++) {
      const page = await openPage(bob.context(), `Bob (tab ${tab})`);
      await page.goto(`${app.url}/rooms/lobby`);
      await expectConnected(page);
      extraTabs.push(page);
    }
    // Expected in this tab only: the browser logs each refused request (429), and Chrome logs
    // "WebSocket is already in CLOSING or CLOSED state." when pusher-js sends on the socket the
    // client closed after the refusal (reported to the client's owners; see NOTES-demo.md).
    const overLimit = await openPage(
      bob.context(),
      'Bob (tab over the limit)',
      /status of 429 \(Too Many Requests\)|^WebSocket is already in CLOSING or CLOSED state\.$/,
    );
    await overLimit.goto(`${app.url}/rooms/lobby`);
    await overLimit.getByTestId('connection-problem').getByText('too many', { exact: false }).or(overLimit.getByTestId('connection-problem').getByText('limit', { exact: false })).first().waitFor({ timeout: 20_000 });
    // Still refused after the guard's join grace (10 s): the open tabs are counted as live, not guessed.
    await overLimit.waitForTimeout(12_000);
    expect(await overLimit.getByTestId('connection-state').getAttribute('data-state')).not.toBe('connected');
    await screenshot(overLimit, 'bob-tab-over-the-connection-limit');
    await extraTabs.pop()!.close();
    await expectConnected(overLimit, 60_000);
    for (const page of [...extraTabs, overLimit]) await page.close();
  }, STEP_TIMEOUT * 2);

  it("logout closes every socket of Alice (even her second tab) and Bob sees her leave", async () => {
    const aliceSecondTab = await openPage(alice.context(), 'Alice (second tab)');
    await aliceSecondTab.goto(`${app.url}/rooms/lobby`);
    await expectConnected(aliceSecondTab);
    await alice.getByTestId('logout').click();
    await alice.waitForURL(`${app.url}/`);
    await alice.getByTestId('name').waitFor();
    // The second tab did nothing: only terminateUser can have closed its connection.
    await aliceSecondTab.getByTestId('connection-closed').getByText('You logged out in another tab').waitFor({ timeout: 20_000 });
    // The whole page says signed out: no name, no Log out, no composer, no waves.
    await aliceSecondTab.getByTestId('signed-in-as').getByText('Signed out').waitFor();
    await aliceSecondTab.getByTestId('sign-in-again').waitFor();
    expect(await aliceSecondTab.getByTestId('logout').count()).toBe(0);
    expect(await aliceSecondTab.getByTestId('composer').isDisabled()).toBe(true);
    expect(await aliceSecondTab.locator('[data-testid^=wave-]:not([data-testid=wave-feedback])').count()).toBe(0);
    await presence(bob, 'alice').waitFor({ state: 'detached', timeout: 20_000 });
    // And it stays closed: a terminated user is not reconnected behind the app's back.
    await aliceSecondTab.waitForTimeout(4000);
    expect(await aliceSecondTab.getByTestId('connection-state').getAttribute('data-state')).not.toBe('connected');
    expect(await presence(bob, 'alice').count()).toBe(0);
    await screenshot(aliceSecondTab, 'alice-second-tab-closed-by-logout');
    await screenshot(bob, 'bob-sees-alice-gone');
  }, STEP_TIMEOUT);

  it('left no error in any browser console', () => {
    expect(consoleProblems).toEqual([]);
    if (expectedRefusals.length > 0) {
      const counts = new Map<string, number>();
      for (const line of expectedRefusals) counts.set(line.text, (counts.get(line.text) ?? 0) + 1);
      console.log(`the over-the-limit tab logged, as expected:\n  ${[...counts].map(([text, n]) => `${n} x ${text}`).join('\n  ')}`);
    }
    if (toleratedDuringOutage.length > 0) {
      const distinct = [...new Set(toleratedDuringOutage.map((line) => line.text.replace(/\?.*$/, '')))];
      console.log(`tolerated ${toleratedDuringOutage.length} "WebSocket connection failed" lines while Soketi was down:\n  ${distinct.join('\n  ')}`);
    }
  });
});

/**
 * `npm run demo` as a user runs it: one command starts Soketi and the chat app, the app answers,
 * and Ctrl-C (SIGINT) stops both and frees both ports. Ports are free ones (PORT, SOKETI_PORT)
 * so the test never collides with a demo someone is running on 3000/6001.
 */
describe('npm run demo', () => {
  it('starts Soketi and the app with one command; SIGINT stops both and frees the ports', async () => {
    const [appPort, soketiPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(appPort),
      SOKETI_PORT: String(soketiPort),
      NEXT_DIST_DIR: '.next-demo-test',
      REALTIME_PROVIDER: '',
      REALTIME_TOKEN_SECRETS: '',
    };
    const child = spawn(process.execPath, [path.join(repositoryRoot, 'scripts', 'demo.mjs')], {
      cwd: repositoryRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demoProcess = child;
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 300_000;
    while (!/next start pid \d+/.test(output)) {
      if (child.exitCode !== null) throw new Error(`demo exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`demo did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output).toContain(`http://localhost:${appPort}`);
    expect(output).toContain('generated one for this run');
    const soketiPid = Number(/Soketi is ready on ws:\/\/[^ ]+ \(pid (\d+)\)/.exec(output)![1]);
    const nextPid = Number(/next start pid (\d+)/.exec(output)![1]);

    const home = await fetch(`http://127.0.0.1:${appPort}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('next-realtime chat');
    const soketiReady = await fetch(`http://127.0.0.1:${soketiPort}/ready`);
    expect(soketiReady.status).toBe(200);
    // The app reaches its Soketi: an unauthenticated channel auth is refused by the app (401), not a 500.
    const auth = await fetch(`http://127.0.0.1:${appPort}/api/realtime/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'socket_id=1.2&channel_name=presence-room.lobby',
    });
    expect(auth.status).toBe(401);

    // Soketi dies under a signed-in page: the demo starts it again on the same port, and the
    // page's badge goes reconnecting -> connected by itself. (No console watch on this page: the
    // browser logs the refused WebSocket attempts while Soketi is down; that is the outage.)
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${appPort}/`);
    await page.getByTestId('name').fill('Dana');
    await page.getByTestId('sign-in').click();
    await page.waitForURL('**/rooms/lobby');
    await expectConnected(page);
    process.kill(soketiPid, 'SIGKILL');
    await page.locator('[data-testid=connection-state][data-state=reconnecting]').waitFor({ timeout: 20_000 });
    await screenshot(page, 'demo-soketi-died-badge-reconnecting');
    const restartedPid = await (async () => {
      for (const limit = Date.now() + 30_000; Date.now() < limit; await new Promise((resolve) => setTimeout(resolve, 200))) {
        const match = /Soketi is ready again on port \d+ \(pid (\d+)\)/.exec(output);
        if (match) return Number(match[1]);
      }
      throw new Error(`the demo did not restart Soketi:\n${output}`);
    })();
    expect(restartedPid).not.toBe(soketiPid);
    expect((await fetch(`http://127.0.0.1:${soketiPort}/ready`)).status).toBe(200);
    await expectConnected(page, 45_000);
    await screenshot(page, 'demo-soketi-restarted-badge-connected');
    await context.close();

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(pidIsAlive(soketiPid)).toBe(false);
    expect(pidIsAlive(restartedPid)).toBe(false);
    expect(pidIsAlive(nextPid)).toBe(false);
    expect(await portIsFree(appPort)).toBe(true);
    expect(await portIsFree(soketiPort)).toBe(true);
  }, 400_000);
});
