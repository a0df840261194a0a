// The single-page shell: History API routing over the paths the server
// answers with this page, the header navigation, the session and the
// status line. Pages live in pages.js.

import { api, hasSession, ApiError } from './api.js';
import { h, replace } from './dom.js';
import { initLanguage, setLanguage, language, t, number } from './i18n.js';
import * as pages from './pages.js';

const ROUTES = [
  { pattern: /^\/$/, page: pages.home, nav: 'nav_home' },
  { pattern: /^\/browse$/, page: pages.browse, nav: 'nav_browse' },
  { pattern: /^\/movies\/(?<id>[0-9]{1,10})$/, page: pages.movie },
  { pattern: /^\/signup$/, page: pages.signup, nav: 'nav_signup' },
  { pattern: /^\/signin$/, page: pages.signin, nav: 'nav_signin' },
  { pattern: /^\/me\/ratings$/, page: pages.ratings, nav: 'nav_ratings' },
  { pattern: /^\/watchlist$/, page: pages.watchlist, nav: 'nav_watchlist' },
  { pattern: /^\/cart$/, page: pages.cart, nav: 'nav_cart' },
  { pattern: /^\/orders$/, page: pages.orders, nav: 'nav_orders' },
  { pattern: /^\/admin$/, page: pages.admin, nav: 'nav_admin' },
];

const state = { user: null, cartCount: null, genres: null, renderId: 0 };
const main = document.getElementById('main');
const statusLine = document.getElementById('status');

function status(message, kind = 'ok') {
  statusLine.className = `status ${kind}`;
  statusLine.textContent = message || '';
}

function currentPath() {
  return window.location.pathname + window.location.search;
}

/** Moves to `path` without a reload; `message` is announced after rendering. */
function navigate(path, message) {
  window.history.pushState({}, '', path);
  render({ message, focus: true });
}

/** Runs a write; reports success or the API's message. Returns whether it worked. */
async function run(action, success) {
  try {
    await action();
    if (success) status(success, 'ok');
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      state.user = null;
      await api('DELETE', '/auth/session').catch(() => {});
      navigate('/signin');
    }
    status(t('error_generic', { message: error.message }), 'error');
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
      item('/cart', 'nav_cart', h('span', { id: 'cart-count' }, count)), item('/orders', 'nav_orders'));
    if (state.user.role === 'admin') items.push(item('/admin', 'nav_admin'));
    const signOut = h('button', { type: 'button', class: 'linklike', id: 'sign-out' }, t('nav_signout'));
    signOut.addEventListener('click', async () => {
      await api('DELETE', '/auth/session').catch(() => {});
      state.user = null;
      state.cartCount = null;
      navigate('/', t('signed_out'));
    });
    items.push(h('li', { class: 'nav-user' }, t('signed_in_as', { name: state.user.username })), h('li', {}, signOut));
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
    navigate, status, run, genres, refreshCart,
    rerender: () => render(),
    signedIn: (user) => { state.user = user; refreshCart(); },
  };
  let nodes;
  try {
    nodes = await (route ? route.page : pages.notFound)(ctx);
  } catch (error) {
    nodes = [h('h1', { tabindex: '-1' }, t('error_generic', { message: error.message }))];
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

async function start() {
  initLanguage();
  if (hasSession()) {
    try {
      state.user = await api('GET', '/users/me');
      await refreshCart();
    } catch {
      // The token expired or the server's key changed: clear both cookies.
      state.user = null;
      await api('DELETE', '/auth/session').catch(() => {});
    }
  }
  await render();
  document.body.dataset.ready = 'true';
}

start();
