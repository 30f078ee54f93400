/**
 * First contact, as a user has it: the packed tarball in a fresh Next.js app OUTSIDE this
 * repository (no workspace link), with one provider's SDKs only, no next.config, default client
 * options, built with Next's default bundler (Turbopack) and with `--webpack`, served by
 * `next start` and used from real Chromium.
 *
 * The app is examples/chat (the demo) with its next.config left out, plus one page
 * (test/consumer/app-overlay) for what the demo does not show: a public channel for anonymous
 * visitors, and server actions published from a direct call and from a `<form action>` with a
 * bound argument, excluding the sending tab through `socketIdFromHeaders(await headers())`.
 *
 *   a. Soketi (`pusher` + `pusher-js`), user authentication on with a 2.5 s timeout
 *   b. Ably (`ably` only), against the Ably stand-in (test/support/ably), REST over HTTP
 *
 * One file, so the four builds run one after the other (2 cores).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChatApp, buildLibrary, createConsumerApp, repositoryRoot, startChatApp, type ChatAppProcess } from '../../scripts/chatApp.mjs';
import { freePort, nextRealtimeEnv, startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { startAblyStandIn, type AblyStandIn } from '../support/ably/standIn.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OVERLAY = path.join(repositoryRoot, 'test', 'consumer', 'app-overlay');
const BUNDLERS = ['default', 'webpack'] as const;
/** Soketi closes a connection that is neither signed in nor on a private channel by then. */
const USER_AUTHENTICATION_TIMEOUT_MS = 2500;
const STEP = 20_000;

let workDir: string;
let tarball: string;
let browser: Browser;

beforeAll(async () => {
  // Outside the repository, so nothing resolves through the workspace's node_modules.
  workDir = mkdtempSync(path.join(os.tmpdir(), 'next-realtime-consumer-'));
  // `npm test` builds dist/ before vitest runs; a lone `vitest run test/consumer` builds it here.
  if (process.env.npm_lifecycle_event !== 'test' || !existsSync(path.join(repositoryRoot, 'dist', 'server', 'index.js'))) {
    await buildLibrary({ quiet: true });
  }
  await promisify(execFile)('npm', ['pack', '--pack-destination', workDir, '--loglevel=error'], { cwd: repositoryRoot });
  tarball = path.join(workDir, readdirSync(workDir).find((name) => name.endsWith('.tgz'))!);
  await Promise.all(
    providers.map((setup) => createConsumerApp({ dir: appDirFor(setup), tarball, providerPackages: setup.packages, overlayDir: OVERLAY })),
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}, 180_000);

interface ProviderSetup {
  provider: string;
  packages: string[];
  /** Starts the provider; returns the browser variables (inlined by the build) and the server's. */
  start(): Promise<{ buildEnv: Record<string, string>; serverEnv: Record<string, string>; stop(): Promise<void> }>;
  /** The server variable a run without it must name in `invalid_config`. */
  secretVariable?: string;
}

const providers: ProviderSetup[] = [
  {
    provider: 'soketi',
    packages: ['pusher', 'pusher-js'],
    secretVariable: 'SOKETI_APP_SECRET',
    async start() {
      const soketi: SoketiProcess = await startSoketi({
        quiet: true,
        env: {
          // The README's setting for logout and limits, with a short timeout: default clients
          // must stay connected past it.
          SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'true',
          SOKETI_USER_AUTHENTICATION_TIMEOUT: String(USER_AUTHENTICATION_TIMEOUT_MS),
        },
      });
      const env = nextRealtimeEnv(soketi);
      return { ...split(env), stop: () => soketi.stop() };
    },
  },
  {
    provider: 'ably',
    packages: ['ably'],
    async start() {
      const key = `consumer.${randomBytes(3).toString('hex')}:${randomBytes(24).toString('base64url')}`;
      const standIn: AblyStandIn = await startAblyStandIn({ keys: [key], restOverHttp: true });
      const env = {
        REALTIME_PROVIDER: 'ably',
        ABLY_API_KEY: key,
        ABLY_ENDPOINT: 'localhost',
        ABLY_PORT: String(standIn.port),
        ABLY_TLS: 'false',
        NEXT_PUBLIC_REALTIME_PROVIDER: 'ably',
        NEXT_PUBLIC_ABLY_ENDPOINT: 'localhost',
        NEXT_PUBLIC_ABLY_PORT: String(standIn.port),
        NEXT_PUBLIC_ABLY_TLS: 'false',
      };
      return { ...split(env), stop: () => standIn.close() };
    },
  },
];

function appDirFor(setup: ProviderSetup): string {
  return path.join(workDir, `app-${setup.provider}`);
}

/** What the build sees (browser variables only: a build needs no secret) and what the server sees. */
function split(env: Record<string, string>) {
  const buildEnv = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('NEXT_PUBLIC_')));
  return { buildEnv, serverEnv: env };
}

function baseEnv(): NodeJS.ProcessEnv {
  // Nothing of this repository's environment that could point the app at another server.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' };
  return env;
}

for (const setup of providers) {
  describe(`consumer app on ${setup.provider} (${['next-realtime', ...setup.packages].join(' + ')})`, () => {
    const appDir = () => appDirFor(setup);
    let provider: Awaited<ReturnType<ProviderSetup['start']>>;

    beforeAll(async () => {
      provider = await setup.start();
    }, 300_000);

    afterAll(async () => {
      await provider?.stop();
    });

    it('installs only the chosen provider SDKs', () => {
      const installed = (name: string) => existsSync(path.join(appDir(), 'node_modules', name, 'package.json'));
      for (const name of ['pusher', 'pusher-js', 'ably']) expect(installed(name), name).toBe(setup.packages.includes(name));
      expect(existsSync(path.join(appDir(), 'next.config.ts')) || existsSync(path.join(appDir(), 'next.config.mjs'))).toBe(false);
    });

    for (const bundler of BUNDLERS) {
      describe(`built with ${bundler === 'default' ? "Next's default bundler" : '--webpack'}`, () => {
        let app: ChatAppProcess | undefined;
        let starting: Promise<ChatAppProcess> | undefined;
        const contexts: BrowserContext[] = [];
        let anonymous: Page;
        let anonymousConnectedAt = 0;
        // A visitor without a session, on every provider (on Ably with an anonymous token).
        const anonymousTabs = (): Page[] => [anonymous];
        let aliceTab1: Page;
        let aliceTab2: Page;
        let bob: Page;
        const sessionSecret = randomBytes(32).toString('base64url');
        const runtimeEnv = () => ({
          ...baseEnv(),
          ...provider.serverEnv,
          REALTIME_TOKEN_SECRETS: `consumer:${randomBytes(32).toString('base64url')}`,
          SESSION_SECRET: sessionSecret,
        });

        it('`next build` succeeds without any server secret in the environment', async () => {
          await buildChatApp({ env: { ...baseEnv(), ...provider.buildEnv }, appDir: appDir(), bundler, quiet: true });
        }, 600_000);

        if (bundler === 'default' && setup.secretVariable) {
          it(`a missing ${setup.secretVariable} at run time is an invalid_config JSON answer naming it`, async () => {
            const env = runtimeEnv();
            delete (env as Record<string, string | undefined>)[setup.secretVariable!];
            const broken = await startChatApp({ env, port: await freePort(), appDir: appDir(), quiet: true });
            try {
              const response = await fetch(`${broken.url}/api/realtime/auth`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: 'socket_id=1.2&channel_name=private-notifications.alice',
              });
              const text = await response.text();
              const context = `HTTP ${response.status} ${text.slice(0, 300)}\n--- next start output:\n${broken.output.join('').slice(-3000)}`;
              let body: { error?: { code?: string; message?: string } } = {};
              try {
                body = JSON.parse(text) as typeof body;
              } catch {
                // Not JSON: reported below with the status and the server's output.
              }
              expect(body.error?.code, context).toBe('invalid_config');
              expect(body.error?.message, context).toContain(setup.secretVariable);
            } finally {
              await broken.stop();
            }
          }, 120_000);
        }

        it('`next start` serves it; an anonymous visitor connects with default options', async () => {
          // Kept before it resolves: a start that outlives this test's timeout is still stopped.
          starting = startChatApp({ env: runtimeEnv(), port: await freePort(), appDir: appDir(), quiet: true });
          app = await starting;
          anonymous = await (await newContext(contexts)).newPage();
          try {
            await anonymous.goto(`${app.url}/consumer`);
            expect(await testText(anonymous, 'user')).toBe('anonymous');
            await connected(anonymous);
          } catch (error) {
            throw new Error(`${(error as Error).message}\n--- next start output:\n${app.output.join('').slice(-3000)}`, { cause: error });
          }
          anonymousConnectedAt = Date.now();
        }, 180_000);

        it('two signed-in users, alice in two tabs: presence lists both users', async () => {
          const alice = await newContext(contexts);
          await signIn(alice, app!, 'alice');
          aliceTab1 = await alice.newPage();
          await aliceTab1.goto(`${app!.url}/consumer?presence=presence-room.lobby&private=private-notifications.alice`);
          aliceTab2 = await alice.newPage();
          await aliceTab2.goto(`${app!.url}/consumer`);
          const bobContext = await newContext(contexts);
          await signIn(bobContext, app!, 'bob');
          bob = await bobContext.newPage();
          await bob.goto(`${app!.url}/consumer?presence=presence-room.lobby&private=private-notifications.alice`);
          for (const page of [aliceTab1, aliceTab2, bob]) await connected(page);
          await expect.poll(() => testText(aliceTab1, 'members'), { timeout: STEP }).toBe('alice,bob');
          await expect.poll(() => testText(bob, 'members'), { timeout: STEP }).toBe('alice,bob');
        }, 120_000);

        it("a private channel is refused for the wrong user and granted to its owner", async () => {
          await expect.poll(() => testText(bob, 'private-status'), { timeout: STEP }).toBe('failed');
          await expect.poll(() => testText(aliceTab1, 'private-status'), { timeout: STEP }).toBe('subscribed');
        }, 60_000);

        it('a server action called directly reaches every other tab, not the sending one', async () => {
          await aliceTab1.getByTestId('direct-text').fill('direct-1');
          await aliceTab1.getByTestId('publish-direct').click();
          await expect.poll(() => testText(aliceTab1, 'sent'), { timeout: STEP }).toBe('1');
          for (const page of [aliceTab2, bob, ...anonymousTabs()]) await received(page, 'direct-1');
          await expectNotReceived(aliceTab1, 'direct-1');
        }, 60_000);

        it('a `<form action={action.bind(null, …)}>` reaches every other tab, not the sending one', async () => {
          await aliceTab2.getByTestId('form-text').fill('hello');
          await aliceTab2.getByTestId('publish-form').click();
          for (const page of [aliceTab1, bob, ...anonymousTabs()]) await received(page, 'form:hello');
          await expectNotReceived(aliceTab2, 'form:hello');
        }, 60_000);

        it('the anonymous visitor is still connected and receiving later (past Soketi\'s user-authentication timeout)', async () => {
          const wait = anonymousConnectedAt + 2 * USER_AUTHENTICATION_TIMEOUT_MS - Date.now();
          if (wait > 0) await anonymous.waitForTimeout(wait);
          expect(await testText(anonymous, 'state')).toBe('connected');
          await bob.getByTestId('direct-text').fill('after-timeout');
          await bob.getByTestId('publish-direct').click();
          await received(anonymous, 'after-timeout');
        }, 60_000);

        it("logging out in one tab closes that user's other tab, and no one else's", async () => {
          // Both tabs live first, or a tab that never connected would pass this.
          expect(await testText(aliceTab1, 'state')).toBe('connected');
          expect(await testText(aliceTab2, 'state')).toBe('connected');
          await aliceTab1.getByTestId('sign-out').click();
          await aliceTab1.waitForURL(`${app!.url}/`, { timeout: STEP });
          await expect.poll(() => testText(aliceTab2, 'state'), { timeout: STEP }).not.toBe('connected');
          expect(await testText(bob, 'state')).toBe('connected');
          for (const page of anonymousTabs()) expect(await testText(page, 'state')).toBe('connected');
        }, 60_000);

        afterAll(async () => {
          for (const context of contexts) await context.close().catch(() => undefined);
          await starting?.then((started) => started.stop(), () => undefined);
        }, 60_000);
      });
    }
  });
}

async function newContext(contexts: BrowserContext[]): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
}

/** Signs in through the demo's own form (a signed session cookie); returns that page. */
async function signIn(context: BrowserContext, app: ChatAppProcess, name: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${app.url}/`);
  await page.getByTestId('name').fill(name);
  await page.getByTestId('sign-in').click();
  await page.waitForURL('**/rooms/lobby');
  return page;
}

async function connected(page: Page): Promise<void> {
  await expect.poll(() => testText(page, 'state'), { timeout: STEP }).toBe('connected');
}

async function testText(page: Page, testId: string): Promise<string | null> {
  return page.getByTestId(testId).textContent();
}

async function news(page: Page): Promise<string[]> {
  return page.getByTestId('news').locator('li').allTextContents();
}

async function received(page: Page, text: string): Promise<void> {
  await expect.poll(() => news(page), { timeout: STEP }).toContain(text);
}

/** Checked after every other tab got it, plus a margin for a late echo. */
async function expectNotReceived(page: Page, text: string): Promise<void> {
  await page.waitForTimeout(750);
  expect(await news(page)).not.toContain(text);
}
