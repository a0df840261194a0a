// One function per page. Each gets the router's context and returns the
// nodes for <main>; data comes from the JSON API, text goes in as text.

import { api, query } from './api.js';
import { h } from './dom.js';
import { t, number, date } from './i18n.js';
import {
  distributionChart, formatPrice, movieGrid, pager, poster, ratingInput, ratingSummary,
} from './widgets.js';

const title = (text) => h('h1', { tabindex: '-1' }, text);
const link = (href, text, attrs = {}) => h('a', { href, 'data-link': true, ...attrs }, text);
const movieTitle = (movie) => (movie.year ? `${movie.title} (${movie.year})` : movie.title);

function needSignIn() {
  return [title(t('nav_signin')), h('p', {}, t('signin_needed')), h('p', {}, link('/signin', t('nav_signin')))];
}

/** Home: "For you" (signed in) and "Popular now". */
export async function home(ctx) {
  const popular = api('GET', '/recommendations/popular?limit=12');
  const nodes = [title(t('home_title'))];
  if (ctx.user) {
    const mine = await api('GET', '/users/me/recommendations?limit=12');
    const reasons = new Map(mine.items.map((item) => [item.movie.id, item.reasons]));
    nodes.push(h('section', { 'aria-labelledby': 'for-you', id: 'for-you-section', dataset: { modelVersion: mine.model_version } },
      h('h2', { id: 'for-you' }, t('for_you')),
      mine.items.length
        ? movieGrid(mine.items.map((item) => item.movie), t('for_you'), (movie) => reasons.get(movie.id))
        : h('p', {}, t('for_you_empty'))));
  } else {
    nodes.push(h('p', { class: 'actions' }, t('visitor_pitch'), ' ', link('/signup', t('nav_signup'), { class: 'button primary' })));
  }
  const chart = await popular;
  nodes.push(h('section', { 'aria-labelledby': 'popular', id: 'popular-section' },
    h('h2', { id: 'popular' }, t('popular_now')),
    movieGrid(chart.items.map((item) => item.movie), t('popular_now'))));
  return nodes;
}

const SORTS = ['popularity', 'rating', 'year', 'title', 'newest'];

/** Browse and search: filters in the URL, so every result page is a link. */
export async function browse(ctx) {
  const q = ctx.query;
  const filters = {
    q: q.get('q') || '', genre: q.get('genre') || '', year_from: q.get('year_from') || '',
    year_to: q.get('year_to') || '', sort: q.get('sort') || 'popularity', order: q.get('order') || '',
    page: q.get('page') || '1',
  };
  const [genres, page] = await Promise.all([
    ctx.genres(),
    api('GET', `/movies${query({ ...filters, per_page: 24 })}`),
  ]);
  const field = (id, label, control) => h('div', { class: 'field' }, h('label', { for: id }, label), control);
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const params = {};
    for (const [key, value] of data.entries()) params[key] = String(value).trim();
    ctx.navigate(`/browse${query(params)}`);
  } },
  h('div', { class: 'field wide' }, h('label', { for: 'f-q' }, t('search')),
    h('input', { id: 'f-q', name: 'q', type: 'search', value: filters.q, maxlength: 200 })),
  field('f-genre', t('genre'), h('select', { id: 'f-genre', name: 'genre' },
    h('option', { value: '' }, t('any_genre')),
    genres.map((g) => h('option', { value: g.name, selected: g.name === filters.genre }, g.name)))),
  field('f-from', t('year_from'), h('input', { id: 'f-from', name: 'year_from', type: 'number', min: 1870, max: 2100, value: filters.year_from })),
  field('f-to', t('year_to'), h('input', { id: 'f-to', name: 'year_to', type: 'number', min: 1870, max: 2100, value: filters.year_to })),
  field('f-sort', t('sort'), h('select', { id: 'f-sort', name: 'sort' },
    SORTS.map((s) => h('option', { value: s, selected: s === filters.sort }, t(`sort_${s}`))))),
  field('f-order', t('order'), h('select', { id: 'f-order', name: 'order' },
    h('option', { value: '' }, '—'),
    ['desc', 'asc'].map((o) => h('option', { value: o, selected: o === filters.order }, t(`order_${o}`))))),
  h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, t('apply'))));
  const hrefFor = (n) => `/browse${query({ ...filters, page: n })}`;
  return [
    title(t('browse_title')),
    form,
    h('p', { class: 'muted', id: 'result-count' }, t('results', { n: number(page.total_items) })),
    page.items.length ? movieGrid(page.items, t('browse_title')) : h('p', {}, t('no_results')),
    pager(page.page, page.total_pages, hrefFor),
  ];
}

/** A movie: details, my rating, lists, cart, similar movies. */
export async function movie(ctx) {
  const id = Number(ctx.params.id);
  const [details, similar, watchlist] = await Promise.all([
    api('GET', `/movies/${id}`),
    api('GET', `/movies/${id}/similar?limit=8`),
    ctx.user ? api('GET', '/users/me/watchlist?per_page=100') : Promise.resolve({ items: [] }),
  ]);
  document.title = `${details.title} · cinerank`;
  const info = h('div', { class: 'movie-info' },
    title(movieTitle(details)),
    h('p', {}, ratingSummary(details)),
    h('ul', { class: 'genres', 'aria-label': t('genres') },
      details.genres.map((g) => h('li', {}, link(`/browse${query({ genre: g })}`, g)))),
    h('h2', {}, t('overview')),
    h('p', {}, details.overview || t('no_overview')));

  const forSale = details.price !== null && details.price !== undefined;
  const soldOut = forSale && details.stock !== null && details.stock !== undefined && details.stock <= 0;
  info.append(h('p', {},
    forSale ? h('span', { class: 'price' }, formatPrice(details.price)) : h('span', { class: 'muted' }, t('not_for_sale')),
    forSale ? h('span', { class: 'muted' }, ' · ', details.stock === null || details.stock === undefined ? t('digital') : (soldOut ? t('out_of_stock') : t('in_stock', { n: number(details.stock) }))) : null));

  if (ctx.user) {
    info.append(ratingInput(details.my_rating ?? null,
      async (rating) => {
        await ctx.run(() => api('PUT', `/movies/${id}/rating`, { rating }), t('rated', { n: number(rating, 1) }));
      },
      async () => {
        await ctx.run(() => api('DELETE', `/movies/${id}/rating`), t('rating_removed'));
      }));
    let listed = watchlist.items.some((entry) => entry.movie.id === id);
    let dismissed = false;
    const watchButton = h('button', { type: 'button', 'aria-pressed': String(listed) });
    const dismissButton = h('button', { type: 'button', 'aria-pressed': 'false' });
    const paint = () => {
      watchButton.textContent = listed ? t('remove_watchlist') : t('add_watchlist');
      watchButton.setAttribute('aria-pressed', String(listed));
      dismissButton.textContent = dismissed ? t('undo_not_interested') : t('not_interested');
      dismissButton.setAttribute('aria-pressed', String(dismissed));
    };
    watchButton.addEventListener('click', async () => {
      const ok = await ctx.run(() => api(listed ? 'DELETE' : 'PUT', `/users/me/watchlist/${id}`),
        listed ? t('removed_watchlist') : t('added_watchlist'));
      if (ok) { listed = !listed; paint(); }
    });
    dismissButton.addEventListener('click', async () => {
      const ok = await ctx.run(() => api(dismissed ? 'DELETE' : 'PUT', `/users/me/not-interested/${id}`),
        dismissed ? t('undismissed') : t('dismissed'));
      if (ok) { dismissed = !dismissed; paint(); }
    });
    paint();
    const cartButton = h('button', { type: 'button', class: 'primary', disabled: !forSale || soldOut, id: 'add-to-cart' }, t('add_to_cart'));
    cartButton.addEventListener('click', async () => {
      const ok = await ctx.run(() => api('POST', '/cart/items', { movie_id: id, quantity: 1 }), t('added_to_cart'));
      if (ok) ctx.refreshCart();
    });
    info.append(h('div', { class: 'actions' }, cartButton, watchButton, dismissButton));
  } else {
    info.append(h('p', {}, link('/signin', t('sign_in_to_rate'))));
  }

  return [
    h('article', { class: 'movie' },
      poster(details, { alt: t('poster_of', { title: details.title }), lazy: false }),
      info),
    h('section', { 'aria-labelledby': 'similar' },
      h('h2', { id: 'similar' }, t('similar')),
      similar.items.length
        ? movieGrid(similar.items.map((item) => item.movie), t('similar'))
        : h('p', {}, t('no_similar'))),
  ];
}

/** Shows the API's field messages next to the fields and a summary in the status line. */
function showFieldErrors(form, error, ctx) {
  form.querySelectorAll('.field-error').forEach((node) => node.remove());
  form.querySelectorAll('[aria-invalid]').forEach((node) => node.removeAttribute('aria-invalid'));
  const details = error && error.details;
  if (error && error.code === 'validation_failed' && details) {
    for (const [name, messages] of Object.entries(details)) {
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (!input) continue;
      const id = `${input.id || name}-error`;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', id);
      input.closest('.field, fieldset').append(h('p', { class: 'field-error', id }, messages.join(' ')));
    }
    ctx.status(t('field_errors'), 'error');
  } else if (error) {
    ctx.status(t('error_generic', { message: error.message }), 'error');
  }
}

/** Sign up with the genre picker (cold-start onboarding). */
export async function signup(ctx) {
  const genres = await ctx.genres();
  const form = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'su-username' }, t('username')),
      h('input', { id: 'su-username', name: 'username', type: 'text', autocomplete: 'username', required: true, minlength: 3, maxlength: 32, 'aria-describedby': 'su-username-hint' }),
      h('p', { class: 'muted', id: 'su-username-hint' }, t('username_hint'))),
    h('div', { class: 'field' }, h('label', { for: 'su-email' }, t('email')),
      h('input', { id: 'su-email', name: 'email', type: 'email', autocomplete: 'email', required: true, maxlength: 254 })),
    h('div', { class: 'field' }, h('label', { for: 'su-password' }, t('password')),
      h('input', { id: 'su-password', name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128, 'aria-describedby': 'su-password-hint' }),
      h('p', { class: 'muted', id: 'su-password-hint' }, t('password_hint'))),
    h('fieldset', {}, h('legend', {}, t('pick_genres')),
      h('p', { class: 'muted' }, t('pick_genres_hint')),
      h('div', { class: 'genre-picker' }, genres.map((g, i) => h('label', { for: `g-${i}` },
        h('input', { type: 'checkbox', id: `g-${i}`, name: 'preferred_genres', value: g.name }), g.name)))),
    h('button', { type: 'submit', class: 'primary' }, t('create_account')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const session = await api('POST', '/auth/session/register', {
        username: String(data.get('username') || '').trim(),
        email: String(data.get('email') || '').trim(),
        password: String(data.get('password') || ''),
        preferred_genres: data.getAll('preferred_genres').map(String),
      });
      ctx.signedIn(session.user);
      ctx.navigate('/', t('welcome', { name: session.user.username }));
    } catch (error) {
      showFieldErrors(form, error, ctx);
    }
  });
  return [title(t('signup_title')), form, h('p', {}, t('have_account'), ' ', link('/signin', t('nav_signin')))];
}

export async function signin(ctx) {
  const form = h('form', { class: 'stack' },
    h('div', { class: 'field' }, h('label', { for: 'si-login' }, t('login')),
      h('input', { id: 'si-login', name: 'login', type: 'text', autocomplete: 'username', required: true })),
    h('div', { class: 'field' }, h('label', { for: 'si-password' }, t('password')),
      h('input', { id: 'si-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit', class: 'primary' }, t('signin_button')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const session = await api('POST', '/auth/session', {
        login: String(data.get('login') || '').trim(), password: String(data.get('password') || ''),
      });
      ctx.signedIn(session.user);
      ctx.navigate('/', t('welcome', { name: session.user.username }));
    } catch (error) {
      showFieldErrors(form, error, ctx);
    }
  });
  return [title(t('signin_title')), form, h('p', {}, t('no_account'), ' ', link('/signup', t('nav_signup')))];
}

function pageNumber(ctx) {
  const page = Number.parseInt(ctx.query.get('page') || '1', 10);
  return Number.isFinite(page) && page > 0 ? page : 1;
}

const thumb = (movie) => poster(movie, { className: 'thumb' });

export async function ratings(ctx) {
  if (!ctx.user) return needSignIn();
  const page = await api('GET', `/users/me/ratings${query({ page: pageNumber(ctx), per_page: 20 })}`);
  return [
    title(t('ratings_title')),
    page.items.length
      ? h('ul', { class: 'list', id: 'my-ratings' }, page.items.map((entry) => h('li', {},
        thumb(entry.movie),
        h('div', { class: 'grow' }, link(`/movies/${entry.movie.id}`, movieTitle(entry.movie)),
          h('p', { class: 'muted' }, t('rated_on', { date: date(entry.rated_at) }))),
        h('span', { class: 'rating-summary' }, h('span', { class: 'star', 'aria-hidden': 'true' }, '★ '),
          t('n_stars', { n: number(entry.rating, 1) })))))
      : h('p', {}, t('ratings_empty')),
    pager(page.page, page.total_pages, (n) => `/me/ratings?page=${n}`),
  ];
}

export async function watchlist(ctx) {
  if (!ctx.user) return needSignIn();
  const page = await api('GET', `/users/me/watchlist${query({ page: pageNumber(ctx), per_page: 20 })}`);
  if (!page.items.length) return [title(t('watchlist_title')), h('p', {}, t('watchlist_empty'))];
  const list = h('ul', { class: 'list' });
  for (const entry of page.items) {
    const remove = h('button', { type: 'button', 'aria-label': `${t('remove')}: ${entry.movie.title}` }, t('remove'));
    const item = h('li', {}, thumb(entry.movie),
      h('div', { class: 'grow' }, link(`/movies/${entry.movie.id}`, movieTitle(entry.movie)),
        h('p', { class: 'muted' }, t('added_on', { date: date(entry.added_at) }))),
      remove);
    remove.addEventListener('click', async () => {
      if (await ctx.run(() => api('DELETE', `/users/me/watchlist/${entry.movie.id}`), t('removed_watchlist'))) item.remove();
    });
    list.append(item);
  }
  return [title(t('watchlist_title')), list, pager(page.page, page.total_pages, (n) => `/watchlist?page=${n}`)];
}

/** A fresh key per checkout attempt: a retried click cannot order twice. */
function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export async function cart(ctx) {
  if (!ctx.user) return needSignIn();
  const view = await api('GET', '/cart');
  ctx.refreshCart(view);
  if (!view.items.length) {
    return [title(t('cart_title')), h('p', {}, t('cart_empty')), h('p', {}, link('/browse', t('nav_browse')))];
  }
  const rows = view.items.map((line) => {
    const qty = h('input', { type: 'number', min: 0, max: 99, value: String(line.quantity), id: `qty-${line.movie.id}`, 'aria-label': t('quantity_of', { title: line.movie.title }) });
    qty.addEventListener('change', async () => {
      const quantity = Math.max(0, Math.min(99, Number.parseInt(qty.value, 10) || 0));
      if (await ctx.run(() => api('PUT', `/cart/items/${line.movie.id}`, { quantity }), t('cart_updated'))) ctx.rerender();
    });
    const remove = h('button', { type: 'button', 'aria-label': t('remove_from_cart', { title: line.movie.title }) }, t('remove'));
    remove.addEventListener('click', async () => {
      if (await ctx.run(() => api('DELETE', `/cart/items/${line.movie.id}`), t('cart_updated'))) ctx.rerender();
    });
    return h('tr', {},
      h('td', {}, link(`/movies/${line.movie.id}`, movieTitle(line.movie))),
      h('td', { class: 'num hide-sm' }, formatPrice(line.unit_price, view.currency)),
      h('td', { class: 'num' }, qty),
      h('td', { class: 'num' }, formatPrice(line.line_total, view.currency)),
      h('td', {}, remove));
  });
  const checkout = h('button', { type: 'button', class: 'primary', id: 'checkout' }, t('checkout'));
  const key = idempotencyKey();
  checkout.addEventListener('click', async () => {
    checkout.disabled = true;
    try {
      const order = await api('POST', '/orders', undefined, { 'Idempotency-Key': key });
      ctx.refreshCart({ items: [] });
      ctx.navigate('/orders', t('order_placed', { id: order.id }));
    } catch (error) {
      checkout.disabled = false;
      ctx.status(t('error_generic', { message: error.message }), 'error');
    }
  });
  return [
    title(t('cart_title')),
    h('table', { class: 'lines' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('movie')), h('th', { scope: 'col', class: 'num hide-sm' }, t('unit_price')),
        h('th', { scope: 'col', class: 'num' }, t('quantity')), h('th', { scope: 'col', class: 'num' }, t('line_total')),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('remove'))))),
      h('tbody', {}, rows),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: 3 }, t('total')),
        h('td', { class: 'num', id: 'cart-total' }, formatPrice(view.total, view.currency)), h('td', {})))),
    h('div', { class: 'actions' }, checkout),
  ];
}

export async function orders(ctx) {
  if (!ctx.user) return needSignIn();
  const page = await api('GET', `/orders${query({ page: pageNumber(ctx), per_page: 10 })}`);
  if (!page.items.length) return [title(t('orders_title')), h('p', {}, t('orders_empty'))];
  const list = h('ul', { class: 'list', id: 'orders' });
  for (const order of page.items) {
    const status = h('span', { class: 'order-status' }, t(`status_${order.status}`));
    const item = h('li', { class: 'order', dataset: { orderId: String(order.id) } },
      h('h2', {}, t('order_n', { id: order.id }), ' · ', status),
      h('p', { class: 'muted' }, t('placed_on', { date: date(order.created_at, true) })),
      h('ul', { 'aria-label': t('items') }, order.items.map((line) => h('li', {},
        link(`/movies/${line.movie_id}`, line.title), ` × ${number(line.quantity)} — ${formatPrice(line.line_total, order.currency)}`))),
      h('p', {}, h('strong', {}, `${t('total')}: ${formatPrice(order.total, order.currency)}`)));
    if (order.status === 'placed') {
      const cancel = h('button', { type: 'button' }, t('cancel_order'));
      cancel.addEventListener('click', async () => {
        if (await ctx.run(() => api('POST', `/orders/${order.id}/cancel`), t('order_cancelled', { id: order.id }))) {
          status.textContent = t('status_cancelled');
          cancel.remove();
        }
      });
      item.append(cancel);
    }
    list.append(item);
  }
  return [title(t('orders_title')), list, pager(page.page, page.total_pages, (n) => `/orders?page=${n}`)];
}

function age(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (seconds < 120) return t('seconds_ago', { n: number(seconds) });
  if (seconds < 7200) return t('minutes_ago', { n: number(Math.round(seconds / 60)) });
  return t('hours_ago', { n: number(Math.round(seconds / 3600)) });
}

export async function admin(ctx) {
  if (!ctx.user) return needSignIn();
  if (ctx.user.role !== 'admin') return [title(t('admin_title')), h('p', {}, t('admin_only'))];
  const [model, distribution] = await Promise.all([
    api('GET', '/admin/model'),
    api('GET', '/admin/ratings/distribution'),
  ]);
  const row = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  const metrics = Object.entries(model.metrics || {}).map(([key, value]) =>
    row(key, typeof value === 'number' ? number(value, Number.isInteger(value) ? 0 : 4) : String(value ?? '—')));
  const caption = t('distribution_desc', { total: number(distribution.total) });
  return [
    title(t('admin_title')),
    h('dl', { class: 'stats', id: 'model-stats' },
      row(t('version'), model.version),
      row(t('trained_at'), date(model.trained_at, true)),
      row(t('age'), age(model.trained_at)),
      row(t('training_time'), `${number(model.training_ms)} ms`),
      row(t('users'), number(model.users)),
      row(t('movies'), number(model.movies)),
      row(t('ratings'), number(model.ratings)),
      row(t('training_now'), model.training_in_progress ? t('yes') : t('no')),
      row(t('writes_since'), number(model.writes_since_training)),
      row(t('algorithms'), model.algorithms.map((a) => `${a.name} (${number(a.training_ms, 1)} ms)`).join(', '))),
    h('h2', {}, t('metrics')),
    h('dl', { class: 'stats' }, metrics),
    h('h2', { id: 'distribution' }, t('distribution')),
    h('figure', {}, distributionChart(distribution.items, caption), h('figcaption', { class: 'muted' }, caption)),
  ];
}

export async function notFound() {
  return [title(t('not_found')), h('p', {}, t('not_found_text')), h('p', {}, link('/', t('back_home')))];
}
