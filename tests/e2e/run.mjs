// The browser journeys of issues 8 and 17, in headless Chromium. A visitor:
// home rows, error pages, type-ahead to a person page, generated covers.
// A new member with a Hangul username: field errors, genre-matching "For
// you", the star widget (keyboard saves once), not interested + undo,
// filters that apply as they change, cart (quantity clamp, digital copy
// once), checkout, cancel with confirmation, account settings, sign out
// everywhere. An administrator: retrain, orders, readable metrics, chart.
// Then every page in both languages at 390 and 1280 px: no horizontal
// scroll, no serious or critical axe-core violation, and in Korean no
// English outside catalogue/user content (marked translate="no").
// Any unexpected console error or page error fails the run. Started by
// run.sh, which provides the server and these variables.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.E2E_BASE_URL;
const SHOTS = process.env.E2E_SCREENSHOTS || 'target/e2e-screenshots';
const ADMIN_LOGIN = process.env.E2E_ADMIN_LOGIN;
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const GENRES = ['Horror', 'Animation'];
const TIMEOUT = 15_000;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// Acronyms a Korean page may show as they are (Korean writers do too).
const LATIN_ALLOWED = new Set(['API', 'RMSE', 'MAE']);
const WIDTHS = [1280, 390];

if (!BASE) throw new Error('E2E_BASE_URL is not set (use tests/e2e/run.sh)');
if (!ADMIN_LOGIN) throw new Error('E2E_ADMIN_LOGIN is not set (use tests/e2e/run.sh)');
mkdirSync(SHOTS, { recursive: true });
const started = Date.now();
const problems = [];
let failingPoster = null;
let expectedFailures = 0;
// API answers a step provokes on purpose (a 404 page, a bad filter, a
// wrong password): Chromium logs them as "Failed to load resource".
let expectedStatus = new Set();

function check(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

function step(name) {
  console.log(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${name}`);
}

async function json(path, init = {}) {
  const response = await fetch(`${BASE}${path}`, init);
  check(response.ok, `${path} answered ${response.status}`);
  return response.status === 204 ? null : response.json();
}

/** A poster-like SVG whose colour depends on the URL, standing in for the internet. */
function fakePoster(url) {
  let hash = 0;
  for (const c of url) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 300"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">`
    + `<stop offset="0" stop-color="hsl(${hue},55%,45%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},60%,20%)"/></linearGradient></defs>`
    + `<rect width="200" height="300" fill="url(#g)"/><circle cx="100" cy="120" r="46" fill="hsla(0,0%,100%,.18)"/></svg>`;
}

async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', ...options });
  // This machine (and CI) has no internet: answer every request that is not
  // for the app itself, except the one poster that must fail to load.
  await context.route((url) => url.origin !== BASE, (route) => {
    const url = route.request().url();
    if (url === failingPoster) return route.abort('failed');
    return route.fulfill({ status: 200, contentType: 'image/svg+xml', headers: { 'cache-control': 'no-store' }, body: fakePoster(url) });
  });
  return context;
}

async function newPage(browser, options = {}) {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const url = message.location().url || '';
    if (text.startsWith('Failed to load resource') && failingPoster !== null && url === failingPoster) {
      expectedFailures += 1;
      return;
    }
    const status = /status of (\d{3})/.exec(text);
    if (status && url.startsWith(`${BASE}/`) && [...expectedStatus].some((e) => e === status[1] || url.includes(e))) return;
    problems.push(`console error: ${text} (${url})`);
  });
  return page;
}

/** Lets the statuses (or URL parts) in `allowed` fail while `action` runs. */
async function expecting(allowed, action) {
  const before = expectedStatus;
  expectedStatus = new Set([...before, ...allowed]);
  try {
    return await action();
  } finally {
    // Console messages arrive a moment after the response.
    await new Promise((resolve) => { setTimeout(resolve, 200); });
    expectedStatus = before;
  }
}

/** Waits until the router has rendered the page (main is no longer busy). */
async function settled(page) {
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('main:not([aria-busy])');
}

async function go(page, path) {
  await page.goto(`${BASE}${path}`);
  await settled(page);
}

/** Clicks a client-side link and waits for the new page. */
async function follow(page, locator) {
  await locator.click();
  await settled(page);
}

async function statusSays(page, text) {
  await page.waitForFunction((expected) => document.getElementById('status').textContent.includes(expected), text);
}

async function shot(page, name, { tall = false } = {}) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  if (!tall) {
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
    return;
  }
  // The README's pictures: a little more than one screen, so the home rows show.
  const { width } = page.viewportSize();
  const height = Math.min(width > 500 ? 980 : 1200, await page.evaluate(() => document.documentElement.scrollHeight));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, clip: { x: 0, y: 0, width, height } });
}

async function setLanguage(page, lang) {
  if ((await page.getAttribute('html', 'lang')) === lang) return;
  await page.selectOption('#lang-select', lang);
  await settled(page);
}

async function cardIds(page, selector) {
  await page.waitForSelector(`${selector} .card`);
  return page.$$eval(`${selector} .card`, (cards) => cards.map((c) => ({
    id: Number(c.dataset.movieId), genres: c.dataset.genres.split('|'),
  })));
}

/** Signs in through the form. */
async function signIn(page, login, password) {
  await go(page, '/signin');
  await page.fill('#si-login', login);
  await page.fill('#si-password', password);
  await page.click('main button[type="submit"]');
  await page.waitForURL(`${BASE}/`);
  await settled(page);
}

/**
 * Latin words in the page's text nodes and in the labels a screen reader
 * reads, outside content marked translate="no" (and a few acronyms).
 */
function englishOnPage(page) {
  return page.evaluate((allowed) => {
    const found = [];
    const exempt = (el) => !el || el.closest('[translate="no"], script, style, noscript');
    const words = (text, where) => {
      for (const word of text.match(/[A-Za-z]{2,}/g) || []) {
        if (!allowed.includes(word)) found.push(`${word} (${where}: "${text.trim().slice(0, 50)}")`);
      }
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!exempt(node.parentElement)) words(node.textContent, node.parentElement.tagName.toLowerCase());
    }
    for (const el of document.body.querySelectorAll('[aria-label], [placeholder], [title], [alt]')) {
      if (exempt(el)) continue;
      for (const attr of ['aria-label', 'placeholder', 'title', 'alt']) {
        if (el.hasAttribute(attr)) words(el.getAttribute(attr), `${el.tagName.toLowerCase()}[${attr}]`);
      }
    }
    return found;
  }, [...LATIN_ALLOWED]);
}

/**
 * The checks every page gets: no horizontal scrolling, no serious or
 * critical axe-core violation, and in Korean no Latin word outside content
 * marked translate="no" (text nodes and the labels a screen reader reads).
 */
async function audit(page, name) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `${name}: no horizontal scrolling (overflow ${overflow}px)`);
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  check(violations.length === 0, `${name}: axe-core violations:\n    ${violations.join('\n    ')}`);
  if ((await page.getAttribute('html', 'lang')) === 'ko') {
    const english = await englishOnPage(page);
    check(english.length === 0, `${name}: English in Korean mode:\n    ${english.slice(0, 10).join('\n    ')}`);
  }
}

/** Every path in both languages at both widths; screenshots of the chosen ones. */
async function sweep(page, paths, shots = {}) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width > 500 ? 800 : 844 });
    for (const lang of ['en', 'ko']) {
      await page.evaluate((l) => localStorage.setItem('cinerank_lang', l), lang);
      for (const path of paths) {
        await expecting(['404'], () => go(page, path));
        // Let lazy posters and late rows arrive before judging the page.
        await page.waitForLoadState('networkidle').catch(() => {});
        await audit(page, `${path} (${lang}, ${width} px)`);
        const shotName = shots[path];
        if (shotName) await shot(page, `${shotName}${lang === 'ko' ? '-ko' : ''}${width < 500 ? '-mobile' : ''}`, { tall: true });
      }
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(() => localStorage.setItem('cinerank_lang', 'en'));
}

async function main() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await newPage(browser);
    const adminSession = await json('/api/v1/auth/login', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: ADMIN_LOGIN, password: ADMIN_PASSWORD }),
    });
    const adminHeaders = { authorization: `Bearer ${adminSession.access_token}`, 'content-type': 'application/json' };

    step('a movie without a poster gets a generated cover');
    const coverTitle = 'The Quiet Orchard';
    const coverMovie = await json('/api/v1/movies', {
      method: 'POST', headers: adminHeaders,
      body: JSON.stringify({ title: coverTitle, year: 2026, genres: ['Drama', 'Romance'], overview: 'Two sisters return to the family orchard the summer it is sold.', price: 3900 }),
    });

    step('visitor home page: featured film and rows');
    await go(page, '/');
    await page.waitForSelector('.featured');
    for (const row of ['#popular-section', '#newest-section', '#top-genre-0-section']) {
      check(await page.locator(`${row} .card`).count() > 0, `${row} has cards`);
    }
    const newest = page.locator(`#newest-section .card[data-movie-id="${coverMovie.id}"]`);
    check(await newest.count() === 1, 'the new movie is in "New in the catalogue"');
    check(await newest.locator('.cover .cover-title').textContent() === coverTitle, 'its cover shows the title');
    await shot(page, 'home');

    step('a poster that fails to load is replaced by a generated cover');
    const catalogue = await json('/api/v1/movies?sort=title&order=desc&per_page=50');
    const victim = catalogue.items.find((m) => m.poster_url && m.poster_url.startsWith('https://'));
    check(victim, 'a movie with a poster URL');
    failingPoster = victim.poster_url;
    await go(page, `/movies/${victim.id}`);
    await page.waitForSelector('article.movie > .cover[data-fallback="true"]');
    check((await page.textContent('article.movie > .cover .cover-title')) === victim.title, 'the cover names the film');
    for (let i = 0; i < 50 && expectedFailures === 0; i += 1) await page.waitForTimeout(100);
    check(expectedFailures >= 1, 'the failed poster was reported (and is the only error let through)');

    step('error pages instead of JSON');
    for (const [path, heading] of [['/nope', 'Page not found'], ['/browse/', 'Page not found'], ['/movies/abc', 'Page not found'], ['/movies/2147483000', 'No such movie']]) {
      const response = await expecting(['404'], () => page.goto(`${BASE}${path}`));
      await settled(page);
      check((await page.textContent('main h1')) === heading, `${path} shows "${heading}"`);
      if (path !== '/movies/2147483000') check(response.status() === 404, `${path} answers 404`);
    }

    step('header search: type-ahead to a movie and to a person page');
    const film = (await json('/api/v1/movies?sort=popularity&per_page=5')).items[0];
    const credits = await json(`/api/v1/movies/${film.id}`);
    const personRef = credits.directors[0] || credits.cast[0];
    check(personRef, 'the popular film has credits');
    await go(page, '/');
    await page.fill('#search-input', film.title.slice(0, 6));
    await page.waitForSelector('#suggestions:not([hidden]) [role="option"]');
    check(await page.getAttribute('#search-input', 'aria-expanded') === 'true', 'combobox expanded');
    await page.keyboard.press('ArrowDown');
    const active = await page.getAttribute('#search-input', 'aria-activedescendant');
    check(active && (await page.getAttribute(`#${active}`, 'aria-selected')) === 'true', 'ArrowDown highlights an option');
    await page.keyboard.press('Escape');
    check(await page.isHidden('#suggestions'), 'Escape closes the list');
    await page.fill('#search-input', '');
    await page.type('#search-input', personRef.name, { delay: 10 });
    await page.waitForSelector(`#suggestions [data-kind="person"]`);
    const options = await page.$$eval('#suggestions [role="option"]', (nodes) => nodes.map((n) => n.dataset.kind || 'all'));
    const personIndex = options.indexOf('person');
    for (let i = 0; i <= personIndex; i += 1) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/people\/\d+$/);
    await settled(page);
    check((await page.textContent('main h1')).length > 0, 'person page heading');
    check(await page.locator('#person-movies .card').count() > 0, 'the person page lists movies');
    await shot(page, 'person');
    await page.fill('#search-input', film.title);
    await page.press('#search-input', 'Enter');
    await page.waitForURL(/\/browse\?q=/);
    await settled(page);
    check(await page.locator(`#browse-results .card[data-movie-id="${film.id}"]`).count() === 1, 'search finds the film');
    await shot(page, 'search');

    step('sign up: field errors at the field, a Hangul username');
    await go(page, '/signup');
    await page.fill('#su-username', ADMIN_LOGIN);
    await page.fill('#su-email', `${Date.now().toString(36)}@example.org`);
    await page.fill('#su-password', 'short');
    await expecting(['422'], () => page.click('main button[type="submit"]'));
    await page.waitForSelector('#su-password-error');
    check(await page.getAttribute('#su-password', 'aria-invalid') === 'true', 'password marked invalid');
    await page.fill('#su-password', 'correct horse battery');
    await expecting(['409'], () => page.click('main button[type="submit"]'));
    await page.waitForSelector('#su-username-error');
    check((await page.textContent('#su-username-error')).includes('taken'), 'duplicate username shown at the field');
    // In Korean the same errors are Korean, translated from the API's code and details.
    await setLanguage(page, 'ko');
    await page.fill('#su-username', ADMIN_LOGIN);
    await page.fill('#su-email', 'not-an-email');
    await page.fill('#su-password', 'short');
    await expecting(['422'], () => page.click('main button[type="submit"]'));
    await page.waitForSelector('#su-password-error');
    const koErrors = await page.$$eval('.field-error, .form-error', (nodes) => nodes.map((n) => n.textContent).join(' '));
    check(/자/.test(koErrors) && !/[A-Za-z]{2,}/.test(koErrors), `Korean field errors (${koErrors})`);
    await page.fill('#su-email', `${Date.now().toString(36)}@example.org`);
    await page.fill('#su-password', 'correct horse battery');
    await expecting(['409'], () => page.click('main button[type="submit"]'));
    await page.waitForFunction(() => /사용자 이름/.test(document.getElementById('su-username-error')?.textContent || ''));
    await setLanguage(page, 'en');
    const suffix = String(Date.now() % 100000);
    const username = `김민지${suffix}`;
    const email = `kim${suffix}@example.org`;
    let password = 'correct horse battery';
    await go(page, '/signup');
    await page.fill('#su-username', username.normalize('NFD'));
    await page.fill('#su-email', email);
    await page.fill('#su-password', password);
    for (const genre of GENRES) await page.getByLabel(genre, { exact: true }).check();
    await shot(page, 'signup');
    await page.click('main button[type="submit"]');
    await page.waitForURL(`${BASE}/`);
    await settled(page);
    await statusSays(page, `Welcome, ${username}`);
    check((await page.textContent('#nav .nav-user')).includes(username), 'signed in with the NFC username');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'cinerank_session');
    check(session && session.httpOnly && session.sameSite === 'Strict', 'HttpOnly, SameSite=Strict session cookie');
    check(await page.evaluate(() => !document.cookie.includes('cinerank_session')), 'the token is not readable by scripts');

    step('"For you" matches the chosen genres');
    const before = await cardIds(page, '#for-you-section');
    check(before.length >= 5, `at least five recommendations, got ${before.length}`);
    for (const movie of before) {
      check(movie.genres.some((g) => GENRES.includes(g)), `movie ${movie.id} (${movie.genres}) matches ${GENRES}`);
    }
    check(await page.locator('#for-you-section .reasons li').count() > 0, 'reasons are shown');

    step('the star widget: clicks save, arrows only choose, Enter saves once');
    const puts = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT' && /\/api\/v1\/movies\/\d+\/rating$/.test(request.url())) puts.push(request.url());
    });
    const ratings = [4.5, 5, 3.5, 4, 2.5];
    const rated = before.slice(0, 5).map((m) => m.id);
    for (const [i, id] of rated.entries()) {
      if (i === 0) {
        await follow(page, page.locator(`#for-you-section .card[data-movie-id="${id}"] a.card-link`));
        check(page.url() === `${BASE}/movies/${id}`, `on movie ${id}`);
        check(await page.isHidden('text=Remove my rating'), '"Remove my rating" hidden while unrated');
        const summaryBefore = await page.textContent('#movie-summary');
        await page.focus('#rate-8');
        await page.keyboard.press('Space');
        await statusSays(page, 'Rated 4.0 stars');
        await page.waitForFunction((old) => document.getElementById('movie-summary').textContent !== old, summaryBefore);
        check(await page.isVisible('text=Remove my rating'), '"Remove my rating" shown once rated');
        await page.keyboard.press('ArrowRight');
        await page.waitForSelector('.save-rating:not([hidden])');
        check(puts.length === 1, `an arrow does not save (${puts.length} saves)`);
        await page.keyboard.press('Enter');
        await statusSays(page, 'Rated 4.5 stars');
        check(puts.length === 2, `Enter saves once (${puts.length} saves)`);
        await shot(page, 'movie');
      } else {
        await go(page, `/movies/${id}`);
        await page.click(`label[for="rate-${ratings[i] * 2}"]`);
        await statusSays(page, `Rated ${ratings[i].toFixed(1)} stars`);
      }
      check(await page.isChecked(`#rate-${ratings[i] * 2}`), `rating ${ratings[i]} checked`);
    }

    step('not interested is remembered and can be undone');
    const dismissId = before[5] ? before[5].id : (await json('/api/v1/movies?sort=rating&per_page=1')).items[0].id;
    await go(page, `/movies/${dismissId}`);
    await page.click('#not-interested-toggle');
    await statusSays(page, 'We will not recommend');
    await go(page, `/movies/${dismissId}`);
    check(await page.getAttribute('#not-interested-toggle', 'aria-pressed') === 'true', 'still "not interested" after a reload');
    await go(page, '/me/not-interested');
    const dismissedRow = page.locator(`#not-interested li[data-movie-id="${dismissId}"]`);
    check(await dismissedRow.count() === 1, 'listed under Not interested');
    await shot(page, 'not-interested');
    await dismissedRow.locator('button.undo').click();
    await statusSays(page, 'may be recommended again');
    await page.waitForSelector('#not-interested-empty');

    step('home rows after rating: "For you" changed, "Because you liked", popular without rated films');
    await follow(page, page.locator('#nav a[href="/"]'));
    const after = await cardIds(page, '#for-you-section');
    check(before.map((m) => m.id).join() !== after.map((m) => m.id).join(), 'the list changed');
    check(!after.some((m) => rated.includes(m.id)), 'rated movies are no longer recommended');
    check(await page.locator('[id^="liked-"][id$="-section"] .card').count() > 0, '"Because you liked" row');
    check(await page.locator('#top-genre-0-section .card').count() > 0, '"Top in genre" row');
    const popularIds = (await cardIds(page, '#popular-section')).map((m) => m.id);
    check(!popularIds.some((id) => rated.includes(id)), '"Popular now" leaves out what the user rated');
    await shot(page, 'for-you');

    step('my ratings, sorted');
    await follow(page, page.locator('#nav a[href="/me/ratings"]'));
    check(await page.locator('#my-ratings > li').count() === 5, 'five ratings listed');
    await page.selectOption('#ratings-sort', 'high');
    await settled(page);
    const order = await page.$$eval('#my-ratings > li', (items) => items.map((li) => Number(li.dataset.movieId)));
    check(order[0] === rated[1], 'highest first (the 5-star film)');
    await shot(page, 'my-ratings');
    const top = await json(`/api/v1/movies/${rated[1]}`);
    await go(page, `/browse?q=${encodeURIComponent(top.title)}`);
    const marker = page.locator(`#browse-results .card[data-movie-id="${rated[1]}"] .my-rating`);
    check((await marker.textContent()).includes('5.0'), 'cards mark what the user rated');

    step('browse: filters apply as they change; a bad filter stays at its field');
    await go(page, '/browse');
    await page.click('.genre-filter summary');
    await page.getByLabel('Comedy', { exact: true }).check();
    await page.waitForURL(/genre=Comedy/);
    await page.waitForFunction(() => [...document.querySelectorAll('#browse-results .card')].every((c) => c.dataset.genres.split('|').includes('Comedy')));
    await page.selectOption('#f-sort', 'rating');
    await page.waitForURL(/sort=rating/);
    await page.getByLabel('Drama', { exact: true }).check();
    await page.waitForURL(/genre=Comedy%2CDrama|genre=Comedy,Drama/);
    await page.waitForFunction(() => {
      const cards = [...document.querySelectorAll('#browse-results .card')];
      return cards.length > 0 && cards.every((c) => ['Comedy', 'Drama'].every((g) => c.dataset.genres.split('|').includes(g)));
    });
    await page.fill('#f-votes', '50');
    await page.waitForURL(/min_votes=50/);
    await shot(page, 'browse');
    await expecting(['422'], async () => {
      await page.fill('#f-from', '2000');
      await page.fill('#f-to', '1990');
      await page.waitForSelector('#filter-error');
    });
    check(await page.isVisible('form.filters'), 'the filters are still there');
    check(await page.getAttribute('#f-from', 'aria-invalid') === 'true', 'the year field is marked');
    await page.fill('#f-to', '');
    await page.waitForSelector('#browse-results');
    await go(page, '/browse?page=999');
    await page.waitForSelector('#page-beyond');
    check(!(await page.textContent('main')).includes('Page 999'), 'no "Page 999 of N"');

    step('cart: quantity clamp message, a digital copy once, check out');
    const forSale = (await json('/api/v1/movies?sort=popularity&per_page=100')).items;
    const boxed = forSale.find((m) => m.price !== null && m.stock !== null && m.stock > 2 && !rated.includes(m.id));
    const digital = forSale.find((m) => m.price !== null && m.stock === null && !rated.includes(m.id));
    check(boxed && digital, 'a boxed and a digital movie for sale');
    await go(page, `/movies/${boxed.id}`);
    await page.click('#add-to-cart');
    await statusSays(page, 'Added to your cart');
    await go(page, `/movies/${digital.id}`);
    await page.click('#add-to-cart');
    await statusSays(page, 'Added to your cart');
    await page.waitForSelector('#add-to-cart[disabled]');
    check((await page.textContent('#add-to-cart')) === 'In your cart', 'a digital copy is added once');
    await follow(page, page.locator('#nav a[href="/cart"]'));
    check(await page.locator('#cart-lines > li').count() === 2, 'two cart lines');
    check(await page.locator(`#cart-lines li[data-movie-id="${digital.id}"] input[type="number"]`).count() === 0, 'no quantity box for the digital copy');
    await page.fill(`#qty-${boxed.id}`, '150');
    await page.press(`#qty-${boxed.id}`, 'Tab');
    await statusSays(page, 'At most 99');
    check(await page.inputValue(`#qty-${boxed.id}`) === '99', 'clamped to 99');
    await page.fill(`#qty-${boxed.id}`, '1');
    await page.press(`#qty-${boxed.id}`, 'Tab');
    await statusSays(page, 'Cart updated');
    await shot(page, 'cart');
    await page.click('#checkout');
    await page.waitForURL(`${BASE}/orders`);
    await settled(page);
    await statusSays(page, 'placed');
    const firstOrder = page.locator('#orders > li').first();
    check((await firstOrder.textContent()).includes(boxed.title), 'the order lists the movie');
    check((await firstOrder.locator('.order-status').textContent()) === 'Placed', 'status placed');
    await go(page, `/movies/${digital.id}`);
    check((await page.textContent('#add-to-cart')) === 'You own this', 'an owned digital copy cannot be bought again');

    step('cancelling an order asks first');
    await go(page, '/orders');
    await page.click('#orders > li >> nth=0 >> button.cancel-order');
    await page.waitForSelector('.confirm-box');
    check(await page.evaluate(() => document.activeElement.classList.contains('confirm-keep')), 'focus on "Keep the order"');
    await page.click('.confirm-keep');
    check((await page.locator('#orders > li').first().locator('.order-status').textContent()) === 'Placed', 'kept');
    await page.click('#orders > li >> nth=0 >> button.cancel-order');
    await shot(page, 'orders-confirm');
    await page.click('.confirm-yes');
    await statusSays(page, 'cancelled');
    check((await page.locator('#orders > li').first().locator('.order-status').textContent()) === 'Cancelled', 'cancelled');

    step('account: genres, email, password, sign out everywhere');
    await follow(page, page.locator('#nav a[href="/account"]'));
    await page.locator('#genres-form').getByLabel('Comedy', { exact: true }).check();
    await page.click('#genres-form button[type="submit"]');
    await statusSays(page, 'genres are saved');
    const me = await page.evaluate(() => fetch('/api/v1/users/me').then((r) => r.json()));
    check(me.preferred_genres.includes('Comedy'), 'Comedy saved');
    await shot(page, 'account');
    const newEmail = `kim${suffix}.new@example.org`;
    await page.fill('#ac-email', newEmail);
    await page.fill('#ac-email-current', 'not my password');
    await expecting(['422'], () => page.click('#email-form button[type="submit"]'));
    await page.waitForSelector('#ac-email-current-error');
    await page.fill('#ac-email-current', password);
    await page.click('#email-form button[type="submit"]');
    await statusSays(page, 'email address is changed');
    check((await page.textContent('#account-email')) === newEmail, 'new email shown');
    await page.fill('#ac-password', 'a brand new passphrase');
    await page.fill('#ac-password-current', password);
    await page.click('#password-form button[type="submit"]');
    await page.waitForURL(`${BASE}/signin`);
    await settled(page);
    await statusSays(page, 'Password changed');
    password = 'a brand new passphrase';
    await expecting(['401'], async () => {
      await page.fill('#si-login', username);
      await page.fill('#si-password', 'correct horse battery');
      await page.click('main button[type="submit"]');
      await page.waitForSelector('#signin-error');
    });
    check((await page.textContent('#signin-error')).startsWith('Wrong username'), 'a wrong password is said plainly');
    check(!(await page.textContent('main')).includes('Something went wrong'), 'not "Something went wrong"');
    await signIn(page, newEmail, password);
    // A second browser, signed in too: "sign out everywhere" must end it.
    const other = await newPage(browser);
    await signIn(other, username, password);
    await go(page, '/account');
    await page.click('#sign-out-everywhere');
    await page.click('.confirm-yes');
    await page.waitForURL(`${BASE}/`);
    await settled(page);
    await statusSays(page, 'signed out on every device');
    const otherStatus = await expecting(['401'], () => other.evaluate(() => fetch('/api/v1/users/me').then((r) => r.status)));
    check(otherStatus === 401, `the other browser's session ended (${otherStatus})`);
    await other.context().close();

    step('light/dark switch is remembered');
    await page.click('#theme-toggle');
    const theme = await page.getAttribute('html', 'data-theme');
    await go(page, '/');
    check((await page.getAttribute('html', 'data-theme')) === theme, `theme ${theme} remembered`);
    await audit(page, `home in the ${theme} theme`);
    await shot(page, `home-${theme}`);
    await page.click('#theme-toggle');

    step('the Korean check finds English, and skips content marked translate="no"');
    await setLanguage(page, 'ko');
    await page.evaluate(() => {
      document.querySelector('main').append(Object.assign(document.createElement('p'), { id: 'probe', textContent: 'Probe text' }),
        Object.assign(document.createElement('p'), { id: 'probe-data', translate: false, textContent: 'Catalogue data' }));
    });
    const probed = (await englishOnPage(page)).join(' ');
    check(probed.includes('Probe') && !probed.includes('Catalogue'), `the check sees English text only where it should (${probed})`);
    await setLanguage(page, 'en');

    step('every page, both languages, 390 and 1280 px (visitor)');
    await sweep(page, ['/', '/browse', '/signin', '/signup', `/movies/${film.id}`, '/nope']);

    step('every page, both languages, 390 and 1280 px (member)');
    await signIn(page, username, password);
    await page.evaluate((id) => fetch(`/api/v1/users/me/not-interested/${id}`, {
      method: 'PUT', headers: { 'X-CSRF-Token': document.cookie.match(/cinerank_csrf=([^;]+)/)[1] },
    }), dismissId);
    await go(page, `/movies/${boxed.id}`);
    await page.click('#add-to-cart');
    await statusSays(page, 'Added to your cart');
    await sweep(page, [
      '/', `/browse?q=${encodeURIComponent(film.title)}`, `/movies/${film.id}`, `/movies/${coverMovie.id}`,
      `/people/${personRef.id}`, '/account', '/me/ratings', '/me/not-interested', '/watchlist', '/cart', '/orders',
    ], {
      '/': 'home-member', [`/browse?q=${encodeURIComponent(film.title)}`]: 'search', [`/movies/${film.id}`]: 'movie-page',
      '/account': 'account-page', [`/movies/${coverMovie.id}`]: 'movie-cover',
    });

    step('admin: retrain, orders, readable metrics, chart');
    await page.click('#sign-out');
    await settled(page);
    await signIn(page, ADMIN_LOGIN, ADMIN_PASSWORD);
    await follow(page, page.locator('#nav a[href="/admin"]'));
    await page.waitForSelector('svg.chart');
    check(await page.locator('svg.chart rect.bar').count() === 10, 'ten bars');
    const metricsText = await page.textContent('#model-metrics');
    check(!/train_|sample_size/.test(metricsText), `metric labels are readable (${metricsText})`);
    const ticks = await page.$$eval('svg.chart > text[text-anchor="end"]', (nodes) => nodes.map((n) => Number(n.textContent.replace(/[^0-9]/g, ''))));
    const stepSize = ticks[1] - ticks[0];
    check(/^[125]0*$/.test(String(stepSize)), `round axis ticks (${ticks})`);
    check(await page.locator(`#admin-orders li[data-order-id]`).count() > 0, 'orders listed');
    await page.click('#retrain');
    await statusSays(page, 'Training');
    await shot(page, 'admin');
    await sweep(page, ['/admin']);
  } finally {
    await browser.close();
  }
  if (problems.length) throw new Error(`browser reported errors:\n${problems.join('\n')}`);
}

main().then(() => {
  console.log(`e2e passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
}, (error) => {
  console.error(`e2e FAILED: ${error.stack || error}`);
  if (problems.length) console.error(problems.join('\n'));
  process.exit(1);
});
