// The single-page shell: History API routing over the paths the server
// answers with this page, the header (search with suggestions, menu,
// language and theme), the session and the status line. Pages live in
// pages.js.

import { api, hasSession, ApiError, query } from './api.js';
import { append, content, h, replace } from './dom.js';
import { initLanguage, setLanguage, language, t, tNodes, number, errorText } from './i18n.js';
import * as pages from './pages.js';

const ROUTES = [
  { pattern: /^\/$/, page: pages.home, nav: 'nav_home' },
  { pattern: /^\/browse$/, page: pages.browse, nav: 'nav_browse' },
  { pattern: /^\/movies\/(?<id>[0-9]{1,10})$/, page: pages.movie },
  { pattern: /^\/people\/(?<id>[0-9]{1,10})$/, page: pages.person },
  { pattern: /^\/signup$/, page: pages.signup, nav: 'nav_signup' },
  { pattern: /^\/signin$/, page: pages.signin, nav: 'nav_signin' },
  { pattern: /^\/account$/, page: pages.account, nav: 'nav_account' },
  { pattern: /^\/me\/ratings$/, page: pages.ratings, nav: 'nav_ratings' },
  { pattern: /^\/me\/not-interested$/, page: pages.notInterested, nav: 'nav_account' },
  { pattern: /^\/watchlist$/, page: pages.watchlist, nav: 'nav_watchlist' },
  { pattern: /^\/cart$/, page: pages.cart, nav: 'nav_cart' },
  { pattern: /^\/orders$/, page: pages.orders, nav: 'nav_orders' },
  { pattern: /^\/admin$/, page: pages.admin, nav: 'nav_admin' },
];

const state = { user: null, cartCount: null, genres: null, myRatings: null, renderId: 0 };
const main = document.getElementById('main');
const statusLine = document.getElementById('status');
const header = document.querySelector('.site-header');

/** Shows a message (text or nodes) in the polite live region. */
function status(message, kind = 'ok') {
  statusLine.className = `status ${kind}`;
  replace(statusLine, message || '');
}

function currentPath() {
  return window.location.pathname + window.location.search;
}

/** Moves to `path` without a reload; `message` is announced after rendering. */
function navigate(path, message, { replaceState = false } = {}) {
  if (replaceState) window.history.replaceState({}, '', path);
  else window.history.pushState({}, '', path);
  render({ message, focus: true });
}

function signedOut() {
  state.user = null;
  state.cartCount = null;
  state.myRatings = null;
}

/** Runs a write; reports success or the API's error in the page's language. Returns whether it worked. */
async function run(action, success) {
  try {
    await action();
    if (success) status(success, 'ok');
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signedOut();
      await api('DELETE', '/auth/session').catch(() => {});
      navigate('/signin', t('err_session_expired'));
      return false;
    }
    status(errorText(error), 'error');
    return false;
  }
}

async function refreshCart(view) {
  if (!state.user) {
    state.cartCount = null;
  } else {
    const cart = view || await api('GET', '/cart').catch(() => ({ items: [] }));
    state.cartCount = cart.items.reduce((sum, line) => sum + line.quantity, 0);
  }
  renderNav();
}

async function genres() {
  if (!state.genres) state.genres = (await api('GET', '/genres')).items;
  return state.genres;
}

/**
 * The caller's ratings as a map movie id → stars, loaded once per session
 * (for the "you rated" markers and to keep rated films out of rows).
 */
async function myRatings() {
  if (!state.user) return new Map();
  if (!state.myRatings) {
    state.myRatings = (async () => {
      const ratings = new Map();
      for (let page = 1; ; page += 1) {
        const result = await api('GET', `/users/me/ratings${query({ page, per_page: 100 })}`);
        for (const entry of result.items) ratings.set(entry.movie.id, entry.rating);
        if (page >= result.total_pages) break;
      }
      return ratings;
    })().catch((error) => { state.myRatings = null; throw error; });
  }
  return state.myRatings;
}

async function ratingChanged(movieId, rating) {
  if (!state.myRatings) return;
  const ratings = await state.myRatings;
  if (rating === null) ratings.delete(movieId);
  else ratings.set(movieId, rating);
}

function renderNav(activeKey) {
  const nav = document.getElementById('nav');
  const key = activeKey ?? nav.dataset.active;
  nav.dataset.active = key || '';
  nav.setAttribute('aria-label', t('main_nav'));
  const item = (href, labelKey, extra) => h('li', {},
    h('a', { href, 'data-link': true, 'aria-current': key === labelKey ? 'page' : null }, t(labelKey), extra || null));
  const items = [item('/', 'nav_home'), item('/browse', 'nav_browse')];
  if (state.user) {
    const count = state.cartCount ? ` (${number(state.cartCount)})` : '';
    items.push(item('/me/ratings', 'nav_ratings'), item('/watchlist', 'nav_watchlist'),
      item('/cart', 'nav_cart', h('span', { id: 'cart-count' }, count)), item('/orders', 'nav_orders'),
      item('/account', 'nav_account'));
    if (state.user.role === 'admin') items.push(item('/admin', 'nav_admin'));
    const signOut = h('button', { type: 'button', class: 'linklike', id: 'sign-out' }, t('nav_signout'));
    signOut.addEventListener('click', async () => {
      await api('DELETE', '/auth/session').catch(() => {});
      signedOut();
      navigate('/', t('signed_out'));
    });
    const name = h('li', { class: 'nav-user' });
    append(name, tNodes('signed_in_as', { name: content(state.user.username) }));
    items.push(name, h('li', {}, signOut));
  } else {
    items.push(item('/signin', 'nav_signin'), item('/signup', 'nav_signup'));
  }
  replace(nav, h('ul', {}, items));
}

function translateShell() {
  document.querySelector('.skip-link').textContent = t('skip');
  document.getElementById('lang-label').textContent = t('language');
  document.querySelector('.site-footer a').textContent = t('api_docs');
  document.getElementById('lang-select').value = language();
  document.getElementById('search-label').textContent = t('search_label');
  document.getElementById('search-input').placeholder = t('search_placeholder');
  document.getElementById('search-submit').textContent = t('search_submit');
  document.getElementById('suggestions').setAttribute('aria-label', t('suggestions'));
  document.getElementById('menu-label').textContent = t('menu');
  document.getElementById('theme-label').textContent = t('theme_dark');
}

/** An error page in place of the page that could not be built. */
function errorPage(error) {
  if (error instanceof ApiError && error.status === 404) return pages.notFound();
  return [
    h('h1', { tabindex: '-1' }, t('error_page')),
    h('p', {}, errorText(error)),
    h('p', {}, h('a', { href: currentPath(), 'data-link': true, class: 'button', onclick: (event) => {
      event.preventDefault();
      render({ focus: true });
    } }, t('try_again'))),
  ];
}

/** Renders the page for the current location. */
async function render({ message, focus } = {}) {
  const renderId = ++state.renderId;
  const path = window.location.pathname;
  let route = null;
  let match = null;
  for (const candidate of ROUTES) {
    match = candidate.pattern.exec(path);
    if (match) { route = candidate; break; }
  }
  header.dataset.menu = 'closed';
  document.getElementById('menu-button').setAttribute('aria-expanded', 'false');
  renderNav((route && route.nav) || '');
  translateShell();
  status(message || '', 'ok');
  main.setAttribute('aria-busy', 'true');
  replace(main, h('p', { class: 'muted' }, t('loading')));
  document.title = 'cinerank';
  const ctx = {
    params: (match && match.groups) || {},
    query: new URLSearchParams(window.location.search),
    user: state.user,
    navigate, status, run, genres, refreshCart, myRatings, ratingChanged,
    rerender: () => render(),
    stillCurrent: () => renderId === state.renderId,
    signedIn: (user) => { state.user = user; state.myRatings = null; refreshCart(); },
    signedOut,
  };
  let nodes;
  try {
    nodes = await (route ? route.page : pages.notFound)(ctx);
  } catch (error) {
    nodes = await errorPage(error);
  }
  if (renderId !== state.renderId) return; // a later navigation won
  replace(main, nodes);
  main.removeAttribute('aria-busy');
  const heading = main.querySelector('h1');
  if (heading && document.title === 'cinerank') document.title = `${heading.textContent} · cinerank`;
  if (focus && heading) heading.focus({ preventScroll: false });
}

/** Same-origin links marked `data-link` navigate without reloading. */
document.addEventListener('click', (event) => {
  const anchor = event.target.closest('a[data-link]');
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  event.preventDefault();
  if (url.pathname + url.search !== currentPath()) navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => render());

document.getElementById('lang-select').addEventListener('change', (event) => {
  setLanguage(event.target.value);
  render();
});

// The menu button shows the navigation on narrow screens (CSS hides it there).
document.getElementById('menu-button').addEventListener('click', (event) => {
  const open = header.dataset.menu !== 'open';
  header.dataset.menu = open ? 'open' : 'closed';
  event.currentTarget.setAttribute('aria-expanded', String(open));
});

// Light or dark: the saved choice, else the system's. Remembered like the language.
const THEME_KEY = 'cinerank_theme';
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  document.getElementById('theme-toggle').setAttribute('aria-pressed', String(theme === 'dark'));
}
function initTheme() {
  let saved = null;
  try { saved = localStorage.getItem(THEME_KEY); } catch { /* storage may be disabled */ }
  const system = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  applyTheme(saved === 'dark' || saved === 'light' ? saved : system);
}
document.getElementById('theme-toggle').addEventListener('click', () => {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  applyTheme(next);
  try { localStorage.setItem(THEME_KEY, next); } catch { /* ignore */ }
});

/**
 * Header search: a combobox (ARIA 1.2) whose list shows the suggest
 * endpoint's movies and people as you type. Arrow keys move through the
 * options, Enter opens the highlighted one (or searches), Escape closes.
 */
function initSearch() {
  const form = document.getElementById('site-search');
  const input = document.getElementById('search-input');
  const list = document.getElementById('suggestions');
  let options = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const highlight = (index) => {
    active = index;
    options.forEach((option, i) => option.node.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) {
      input.setAttribute('aria-activedescendant', options[index].node.id);
      options[index].node.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };
  const go = (href) => {
    close();
    input.blur();
    navigate(href);
  };
  const show = (q, suggestions) => {
    options = suggestions.map((s, i) => ({
      href: s.kind === 'person' ? `/people/${s.id}` : `/movies/${s.id}`,
      node: h('li', { role: 'option', id: `suggestion-${i}`, class: 'suggestion', 'aria-selected': 'false', dataset: { kind: s.kind } },
        content(s.label, 'span', { class: 'suggestion-label' }),
        s.year ? h('span', { class: 'muted' }, ` ${s.year}`) : null,
        h('span', { class: 'suggestion-kind' }, t(s.kind === 'person' ? 'suggest_person' : 'suggest_movie'))),
    }));
    const all = h('li', { role: 'option', id: `suggestion-${options.length}`, class: 'suggestion all', 'aria-selected': 'false' });
    append(all, tNodes('suggest_all', { q: content(q) }));
    options.push({ href: `/browse${query({ q })}`, node: all });
    options.forEach((option, i) => {
      // mousedown, not click: the input must not lose focus first.
      option.node.addEventListener('mousedown', (event) => { event.preventDefault(); go(option.href); });
      option.node.addEventListener('mousemove', () => { if (active !== i) highlight(i); });
    });
    replace(list, options.map((o) => o.node));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    highlight(-1);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { close(); return; }
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const suggestions = await api('GET', `/search/suggest${query({ q: q.slice(0, 100) })}`);
        if (mine === asked && input.value.trim() === q) show(q, suggestions);
      } catch {
        close(); // suggestions are a convenience; the search still works
      }
    }, 150);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && !list.hidden) {
      event.preventDefault();
      highlight((active + 1) % options.length);
    } else if (event.key === 'ArrowUp' && !list.hidden) {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === 'Escape') {
      if (!list.hidden) { event.preventDefault(); close(); }
    } else if (event.key === 'Enter' && !list.hidden && active >= 0) {
      event.preventDefault();
      go(options[active].href);
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    clearTimeout(timer);
    asked += 1;
    go(`/browse${query({ q })}`);
  });
}

async function start() {
  initLanguage();
  initTheme();
  initSearch();
  if (hasSession()) {
    try {
      state.user = await api('GET', '/users/me');
      await refreshCart();
    } catch {
      // The token expired or the server's key changed: clear both cookies.
      signedOut();
      await api('DELETE', '/auth/session').catch(() => {});
    }
  }
  await render();
  document.body.dataset.ready = 'true';
}

start();
