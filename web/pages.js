// One function per page. Each gets the router's context and returns the
// nodes for <main>; data comes from the JSON API, text goes in as text, and
// catalogue or user text is marked translate="no" (dom.js `content`).

import { api, query, ApiError } from './api.js';
import { content, h, replace } from './dom.js';
import { t, tNodes, number, date, genreName, errorText, fieldMessage } from './i18n.js';
import {
  confirmButton, distributionChart, formatPrice, genreChips, movieList, movieRow, movieTitle,
  pager, poster, ratingInput, ratingSummary, reasonText, similarReasonText,
} from './widgets.js';

const title = (...text) => h('h1', { tabindex: '-1' }, ...text);
const link = (href, text, attrs = {}) => h('a', { href, 'data-link': true, ...attrs }, text);
const movieLink = (movie, attrs = {}) => h('a', { href: `/movies/${movie.id}`, 'data-link': true, ...attrs }, movieTitle(movie));
const plain = (items) => items.map((movie) => ({ movie }));

function needSignIn() {
  return [title(t('nav_signin')), h('p', {}, t('signin_needed')), h('p', {}, link('/signin', t('nav_signin'), { class: 'button primary' }))];
}

/** A 404 from the API becomes `null`, so a page can say "no such movie" itself. */
async function orNull(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

// ---------------------------------------------------------------- home

/** The featured film: a large poster, its overview and a link. */
function featured(details) {
  return h('section', { class: 'featured', 'aria-labelledby': 'featured-title' },
    poster(details, { className: 'featured-poster', lazy: false }),
    h('div', { class: 'featured-text' },
      h('p', { class: 'eyebrow' }, t('featured')),
      h('h2', { id: 'featured-title' }, link(`/movies/${details.id}`, movieTitle(details))),
      h('p', {}, ratingSummary(details)),
      genreChips(details.genres),
      details.overview ? content(details.overview, 'p', { class: 'featured-overview' }) : null,
      h('p', {}, link(`/movies/${details.id}`, t('see_movie'), { class: 'button primary' }))));
}

/**
 * Home: a featured film, then rows: "For you", "Because you liked X" for
 * the user's top-rated films, "Top in <genre>" for their genres, "Popular
 * now" (without what they rated) and "New in the catalogue".
 */
export async function home(ctx) {
  const newest = api('GET', '/movies?sort=newest&per_page=12');
  const rows = [];
  let feature = null;
  if (ctx.user) {
    const [mine, popular, ratings] = await Promise.all([
      api('GET', '/users/me/recommendations?limit=12'),
      // The user's own list with the popularity strategy: the chart without
      // the films they rated or dismissed.
      api('GET', '/users/me/recommendations?strategy=popular&limit=12'),
      ctx.myRatings(),
    ]);
    feature = mine.items[0] ? mine.items[0].movie : (popular.items[0] && popular.items[0].movie);
    const forYou = h('section', { class: 'movie-row', id: 'for-you-section', 'aria-labelledby': 'for-you', dataset: { modelVersion: mine.model_version } },
      h('h2', { id: 'for-you' }, t('for_you')),
      mine.items.length
        ? movieList(mine.items.map((item) => ({ movie: item.movie, reasons: item.reasons.map(reasonText) })), t('for_you'), { layout: 'row', mine: ratings })
        : h('p', {}, t('for_you_empty')));
    rows.push(forYou);
    // The two best-rated films (4 stars or more), newest rating first among equals.
    const liked = [...ratings.entries()].filter(([, stars]) => stars >= 4).sort((a, b) => b[1] - a[1]).slice(0, 2);
    const likedRows = await Promise.all(liked.map(async ([id]) => {
      const [details, similar] = await Promise.all([orNull(api('GET', `/movies/${id}`)), orNull(api('GET', `/movies/${id}/similar?limit=16`))]);
      if (!details || !similar) return null;
      const items = similar.items.filter((item) => !ratings.has(item.movie.id)).slice(0, 12)
        .map((item) => ({ movie: item.movie, reasons: [similarReasonText(item.reason)] }));
      return movieRow(`liked-${id}`, tNodes('because_you_liked', { title: content(details.title) }), items, ratings);
    }));
    rows.push(...likedRows);
    const genreRows = await Promise.all(ctx.user.preferred_genres.slice(0, 2).map(async (genre, i) => {
      const list = await api('GET', `/users/me/recommendations${query({ strategy: 'popular', genre, limit: 12 })}`);
      return movieRow(`top-genre-${i}`, t('top_in', { genre: genreName(genre) }), plain(list.items.map((item) => item.movie)), ratings);
    }));
    rows.push(...genreRows);
    rows.push(movieRow('popular', t('popular_now'), plain(popular.items.map((item) => item.movie)), ratings));
  } else {
    const [popular, allGenres] = await Promise.all([api('GET', '/recommendations/popular?limit=12'), ctx.genres()]);
    feature = popular.items[0] && popular.items[0].movie;
    rows.push(movieRow('popular', t('popular_now'), plain(popular.items.map((item) => item.movie)), null));
    // Visitors get the two largest genres.
    const big = [...allGenres].sort((a, b) => b.movie_count - a.movie_count).slice(0, 2);
    const genreRows = await Promise.all(big.map(async (genre, i) => {
      const list = await api('GET', `/recommendations/popular${query({ genre: genre.name, limit: 12 })}`);
      return movieRow(`top-genre-${i}`, t('top_in', { genre: genreName(genre.name) }), plain(list.items.map((item) => item.movie)), null);
    }));
    rows.push(...genreRows);
  }
  const ratings = await ctx.myRatings();
  rows.push(movieRow('newest', t('new_in_catalogue'), plain((await newest).items), ratings));
  const details = feature ? await orNull(api('GET', `/movies/${feature.id}`)) : null;
  const nodes = [title(t('home_title'))];
  if (!ctx.user) {
    nodes.push(h('p', { class: 'pitch' }, t('visitor_pitch'), ' ', link('/signup', t('nav_signup'), { class: 'button primary' })));
  }
  if (details) nodes.push(featured(details));
  nodes.push(...rows.filter(Boolean));
  return nodes;
}

// -------------------------------------------------------------- browse

const SORTS = ['popularity', 'rating', 'year', 'title', 'newest'];

function readFilters(q) {
  return {
    q: q.get('q') || '',
    genre: (q.getAll('genre').join(',')).split(',').map((g) => g.trim()).filter(Boolean),
    year_from: q.get('year_from') || '', year_to: q.get('year_to') || '', min_votes: q.get('min_votes') || '',
    sort: q.get('sort') || '', order: q.get('order') || '', page: q.get('page') || '1',
  };
}

function filtersQuery(filters, page) {
  return query({ ...filters, genre: filters.genre.join(','), page: page === 1 ? '' : page });
}

/** Puts the API's field messages next to the fields (and clears old ones). */
function markFields(form, error, aliases = {}) {
  form.querySelectorAll('.field-error').forEach((node) => node.remove());
  form.querySelectorAll('[aria-invalid]').forEach((node) => {
    node.removeAttribute('aria-invalid');
    const hint = node.dataset.hint;
    if (hint) node.setAttribute('aria-describedby', hint); else node.removeAttribute('aria-describedby');
  });
  const placed = [];
  const put = (name, text) => {
    const input = form.querySelector(`[name="${CSS.escape(aliases[name] || name)}"]`);
    if (!input) return false;
    const id = `${input.id || name}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [id, input.dataset.hint].filter(Boolean).join(' '));
    const holder = input.closest('.field, fieldset');
    holder.querySelector(`#${CSS.escape(id)}`)?.remove();
    holder.append(h('p', { class: 'field-error', id }, text));
    placed.push(input);
    return true;
  };
  if (!error) return placed;
  if (error.code === 'validation_failed' && error.details) {
    for (const [name, messages] of Object.entries(error.details)) {
      put(name, messages.map((m) => fieldMessage(name, m)).join(' '));
    }
  } else if (error.code === 'username_taken') {
    put('username', t('err_username_taken'));
  } else if (error.code === 'email_taken') {
    put('email', t('err_email_taken'));
  }
  return placed;
}

/** Field errors at the fields, one summary at the form (and in the live region). */
function showFormError(form, error, ctx, aliases) {
  const placed = markFields(form, error, aliases);
  form.querySelector('.form-error')?.remove();
  const summary = placed.length ? t('field_errors') : errorText(error);
  const box = h('p', { class: 'form-error', role: 'alert' }, summary);
  form.querySelector('button[type="submit"]')?.before(box);
  if (placed.length) placed[0].focus();
  ctx.status(summary, 'error');
}

/**
 * Browse and search: filters in the URL (every result page is a link), and
 * they apply as they change; only the results are redrawn, so the focus
 * stays where it was. A bad filter is shown at its field, not as a page.
 */
export async function browse(ctx) {
  const filters = readFilters(ctx.query);
  const allGenres = await ctx.genres();
  const ratings = await ctx.myRatings();
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  const field = (id, label, control, extra = 'field') => h('div', { class: extra }, h('label', { for: id }, label), control);
  const genreSummary = h('span', {});
  const paintGenreSummary = (chosen) => {
    genreSummary.textContent = chosen.length ? t('genres_chosen', { n: number(chosen.length) }) : t('any_genre');
  };
  const genreBoxes = allGenres.map((g, i) => h('label', { for: `fg-${i}`, class: 'check' },
    h('input', { type: 'checkbox', id: `fg-${i}`, name: 'genre', value: g.name, checked: filters.genre.includes(g.name) }), genreName(g.name)));
  const sortSelect = h('select', { id: 'f-sort', name: 'sort' },
    h('option', { value: '' }, filters.q ? t('sort_relevance') : t('sort_popularity')),
    SORTS.filter((s) => filters.q || s !== 'popularity').map((s) => h('option', { value: s, selected: s === filters.sort }, t(`sort_${s}`))));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': t('browse_title'), novalidate: true },
    field('f-q', t('search'), h('input', { id: 'f-q', name: 'q', type: 'search', value: filters.q, maxlength: 200 }), 'field wide'),
    // On a phone the filters start folded, so the results are on the first screen.
    h('details', { class: 'more-filters', open: window.innerWidth > 760 || null },
      h('summary', {}, t('filters')),
      h('div', { class: 'filter-fields' },
        h('fieldset', { class: 'field genre-filter' },
          h('legend', {}, t('genres_all_of')),
          h('details', {}, h('summary', {}, genreSummary), h('div', { class: 'genre-picker' }, genreBoxes))),
        field('f-from', t('year_from'), h('input', { id: 'f-from', name: 'year_from', type: 'number', inputmode: 'numeric', min: 1870, max: 2100, value: filters.year_from })),
        field('f-to', t('year_to'), h('input', { id: 'f-to', name: 'year_to', type: 'number', inputmode: 'numeric', min: 1870, max: 2100, value: filters.year_to })),
        field('f-votes', t('min_votes'), h('input', { id: 'f-votes', name: 'min_votes', type: 'number', inputmode: 'numeric', min: 0, value: filters.min_votes })),
        field('f-sort', t('sort'), sortSelect),
        field('f-order', t('order'), h('select', { id: 'f-order', name: 'order' },
          h('option', { value: '' }, t('order_default')),
          ['desc', 'asc'].map((o) => h('option', { value: o, selected: o === filters.order }, t(`order_${o}`))))))));
  paintGenreSummary(filters.genre);

  const current = () => {
    const data = new FormData(form);
    return {
      q: String(data.get('q') || '').trim(), genre: data.getAll('genre').map(String),
      year_from: String(data.get('year_from') || '').trim(), year_to: String(data.get('year_to') || '').trim(),
      min_votes: String(data.get('min_votes') || '').trim(), sort: String(data.get('sort') || ''),
      order: String(data.get('order') || ''), page: '1',
    };
  };

  const load = async (wanted, pageNumber) => {
    const page = await api('GET', `/movies${query({ ...wanted, genre: wanted.genre.join(','), page: pageNumber, per_page: 24 })}`);
    const hrefFor = (n) => `/browse${filtersQuery(wanted, n)}`;
    const nodes = [h('p', { class: 'muted', id: 'result-count' }, t('results', { n: number(page.total_items) }))];
    if (page.items.length) {
      nodes.push(movieList(plain(page.items), t('browse_title'), { mine: ratings, id: 'browse-results' }));
    } else if (page.page > page.total_pages && page.total_pages > 0) {
      nodes.push(h('p', { id: 'page-beyond' }, t('page_beyond', { pages: number(page.total_pages) }), ' ',
        link(hrefFor(page.total_pages), t('go_last_page'))));
    } else {
      nodes.push(h('p', {}, t('no_results')));
    }
    nodes.push(pager(page.page, page.total_pages, hrefFor));
    return nodes;
  };

  const show = async (wanted, pageNumber) => {
    try {
      const nodes = await load(wanted, pageNumber);
      if (!ctx.stillCurrent()) return;
      markFields(form, null);
      replace(results, nodes);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'validation_failed') throw error;
      // Keep the page; say which filter is wrong, at the filter.
      form.querySelector('.more-filters').open = true;
      markFields(form, error, { genre: 'genre' });
      replace(results, h('p', { class: 'form-error', id: 'filter-error' }, t('filters_invalid')));
    }
  };

  let timer = null;
  const apply = () => {
    clearTimeout(timer);
    const wanted = current();
    paintGenreSummary(wanted.genre);
    window.history.replaceState({}, '', `/browse${filtersQuery(wanted, 1)}`);
    show(wanted, 1).catch((error) => ctx.status(errorText(error), 'error'));
  };
  // Selects and boxes apply at once; typing waits for a pause.
  form.addEventListener('change', apply);
  form.addEventListener('input', (event) => {
    if (event.target.matches('input[type="search"], input[type="number"]')) {
      clearTimeout(timer);
      timer = setTimeout(apply, 500);
    }
  });
  form.addEventListener('submit', (event) => { event.preventDefault(); apply(); });

  const pageNumber = Math.max(1, Number.parseInt(filters.page, 10) || 1);
  await show(filters, pageNumber);
  const heading = filters.q ? title(tNodes('search_results', { q: content(filters.q) })) : title(t('browse_title'));
  return [heading, form, results];
}

// --------------------------------------------------------------- movie

/** A movie: details, credits, my rating, lists, cart, more like this. */
export async function movie(ctx) {
  const id = Number(ctx.params.id);
  const [details, similar, watchlist, dismissed, cart, orders, ratings] = await Promise.all([
    orNull(api('GET', `/movies/${id}`)),
    orNull(api('GET', `/movies/${id}/similar?limit=12`)),
    ctx.user ? api('GET', '/users/me/watchlist?per_page=100') : null,
    ctx.user ? api('GET', '/users/me/not-interested?per_page=100') : null,
    ctx.user ? api('GET', '/cart') : null,
    ctx.user ? api('GET', '/orders?per_page=100') : null,
    ctx.myRatings(),
  ]);
  if (!details) {
    return [title(t('movie_not_found')), h('p', {}, t('movie_not_found_text')),
      h('p', {}, link('/browse', t('nav_browse'), { class: 'button' }), ' ', link('/', t('back_home')))];
  }
  document.title = `${details.title} · cinerank`;
  let summary = h('p', { id: 'movie-summary' }, ratingSummary(details));
  const facts = [details.runtime_minutes ? t('runtime', { n: number(details.runtime_minutes) }) : null].filter(Boolean);
  const credits = [];
  if (details.directors.length) {
    credits.push(h('div', { class: 'credit' }, h('h2', {}, t('directed_by')),
      h('ul', { class: 'people' }, details.directors.map((p) => h('li', {}, link(`/people/${p.id}`, content(p.name)))))));
  }
  if (details.cast.length) {
    credits.push(h('div', { class: 'credit' }, h('h2', {}, t('cast')),
      h('ul', { class: 'people' }, details.cast.map((p) => h('li', {}, link(`/people/${p.id}`, content(p.name)),
        p.character ? h('span', { class: 'muted' }, ' ', tNodes('as_character', { character: content(p.character) })) : null)))));
  }
  const info = h('div', { class: 'movie-info' },
    title(movieTitle(details)),
    facts.length ? h('p', { class: 'facts muted' }, facts.join(' · ')) : null,
    summary,
    genreChips(details.genres, true),
    h('h2', {}, t('overview')),
    details.overview ? content(details.overview, 'p', { class: 'overview' }) : h('p', {}, t('no_overview')),
    ...credits);

  const forSale = details.price !== null && details.price !== undefined;
  const digital = forSale && (details.stock === null || details.stock === undefined);
  const soldOut = forSale && !digital && details.stock <= 0;
  info.append(h('p', { class: 'price-line' },
    forSale ? h('span', { class: 'price' }, formatPrice(details.price)) : h('span', { class: 'muted' }, t('not_for_sale')),
    forSale ? h('span', { class: 'muted' }, ' · ', digital ? t('digital') : (soldOut ? t('out_of_stock') : t('in_stock', { n: number(details.stock) }))) : null));

  if (ctx.user) {
    info.append(ratingInput(details.my_rating ?? null,
      async (rating) => {
        const ok = await ctx.run(() => api('PUT', `/movies/${id}/rating`, { rating }), t('rated', { n: number(rating, 1) }));
        if (ok) await afterRating(rating);
        return ok;
      },
      async () => {
        const ok = await ctx.run(() => api('DELETE', `/movies/${id}/rating`), t('rating_removed'));
        if (ok) await afterRating(null);
        return ok;
      }));
    // The average and count change with my rating: fetch them again.
    const afterRating = async (rating) => {
      await ctx.ratingChanged(id, rating);
      const fresh = await orNull(api('GET', `/movies/${id}`));
      if (fresh) {
        const next = h('p', { id: 'movie-summary' }, ratingSummary(fresh));
        summary.replaceWith(next);
        summary = next;
      }
    };
    let listed = watchlist.items.some((entry) => entry.movie.id === id);
    let isDismissed = dismissed.items.some((entry) => entry.movie.id === id);
    const watchButton = h('button', { type: 'button', id: 'watchlist-toggle' });
    const dismissButton = h('button', { type: 'button', id: 'not-interested-toggle' });
    const paint = () => {
      watchButton.textContent = listed ? t('remove_watchlist') : t('add_watchlist');
      watchButton.setAttribute('aria-pressed', String(listed));
      dismissButton.textContent = isDismissed ? t('undo_not_interested') : t('not_interested');
      dismissButton.setAttribute('aria-pressed', String(isDismissed));
    };
    watchButton.addEventListener('click', async () => {
      const ok = await ctx.run(() => api(listed ? 'DELETE' : 'PUT', `/users/me/watchlist/${id}`),
        listed ? t('removed_watchlist') : t('added_watchlist'));
      if (ok) { listed = !listed; paint(); }
    });
    dismissButton.addEventListener('click', async () => {
      const ok = await ctx.run(() => api(isDismissed ? 'DELETE' : 'PUT', `/users/me/not-interested/${id}`),
        isDismissed ? t('undismissed') : t('dismissed'));
      if (ok) { isDismissed = !isDismissed; paint(); }
    });
    paint();
    // A digital copy is bought once: not while it is in the cart or owned.
    const inCart = cart.items.some((line) => line.movie.id === id);
    const owned = orders.items.some((order) => order.status === 'placed' && order.items.some((line) => line.movie_id === id));
    let cartLabel = t('add_to_cart');
    if (digital && owned) cartLabel = t('digital_owned');
    else if (digital && inCart) cartLabel = t('digital_in_cart');
    const cartButton = h('button', { type: 'button', class: 'primary', disabled: !forSale || soldOut || (digital && (owned || inCart)), id: 'add-to-cart' }, cartLabel);
    cartButton.addEventListener('click', async () => {
      const ok = await ctx.run(() => api('POST', '/cart/items', { movie_id: id, quantity: 1 }), t('added_to_cart'));
      if (ok) {
        ctx.refreshCart();
        if (digital) { cartButton.disabled = true; cartButton.textContent = t('digital_in_cart'); }
      }
    });
    info.append(h('div', { class: 'actions' }, cartButton, watchButton, dismissButton),
      digital ? h('p', { class: 'muted hint' }, t('digital_once')) : null);
  } else {
    info.append(h('p', {}, link('/signin', t('sign_in_to_rate'))));
  }

  const similarItems = similar ? similar.items.map((item) => ({ movie: item.movie, reasons: [similarReasonText(item.reason)] })) : [];
  return [
    h('article', { class: 'movie' }, poster(details, { lazy: false }), info),
    h('section', { class: 'movie-row', 'aria-labelledby': 'similar', id: 'similar-section' },
      h('h2', { id: 'similar' }, t('similar')),
      similarItems.length ? movieList(similarItems, t('similar'), { layout: 'row', mine: ratings }) : h('p', {}, t('no_similar'))),
  ];
}

// -------------------------------------------------------------- person

/** A person: their name and their movies, each with what they did on it. */
export async function person(ctx) {
  const found = await orNull(api('GET', `/people/${Number(ctx.params.id)}`));
  if (!found) return [title(t('person_not_found')), h('p', {}, link('/', t('back_home')))];
  document.title = `${found.name} · cinerank`;
  const ratings = await ctx.myRatings();
  const roleText = (roles) => roles.map((r) => (r === 'director' ? t('directed_by') : t('cast'))).join(' · ');
  return [
    title(content(found.name)),
    h('p', { class: 'muted' }, t('results', { n: number(found.movies.length) })),
    movieList(found.movies.map((m) => ({ movie: m.movie, reasons: [roleText(m.roles)] })), t('movies'), { mine: ratings, id: 'person-movies' }),
  ];
}

// ------------------------------------------------------------- accounts

function genrePicker(allGenres, chosen, prefix) {
  return h('div', { class: 'genre-picker' }, allGenres.map((g, i) => h('label', { for: `${prefix}-${i}`, class: 'check' },
    h('input', { type: 'checkbox', id: `${prefix}-${i}`, name: 'preferred_genres', value: g.name, checked: chosen.includes(g.name) }),
    genreName(g.name))));
}

const textField = (id, name, label, attrs = {}, hint = null) => h('div', { class: 'field' },
  h('label', { for: id }, label),
  h('input', { id, name, ...attrs, 'aria-describedby': hint ? `${id}-hint` : null, dataset: hint ? { hint: `${id}-hint` } : {} }),
  hint ? h('p', { class: 'muted hint', id: `${id}-hint` }, hint) : null);

/** Sign up with the genre picker (cold-start onboarding). */
export async function signup(ctx) {
  const allGenres = await ctx.genres();
  const form = h('form', { class: 'stack', novalidate: true },
    textField('su-username', 'username', t('username'), { type: 'text', autocomplete: 'username', required: true, maxlength: 32 }, t('username_hint')),
    textField('su-email', 'email', t('email'), { type: 'email', autocomplete: 'email', required: true, maxlength: 254 }),
    textField('su-password', 'password', t('password'), { type: 'password', autocomplete: 'new-password', required: true, maxlength: 128 }, t('password_hint')),
    h('fieldset', {}, h('legend', {}, t('pick_genres')),
      h('p', { class: 'muted' }, t('pick_genres_hint')),
      genrePicker(allGenres, [], 'g')),
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
      ctx.navigate('/', tNodes('welcome', { name: content(session.user.username) }));
    } catch (error) {
      showFormError(form, error, ctx);
    }
  });
  return [title(t('signup_title')), form, h('p', {}, t('have_account'), ' ', link('/signin', t('nav_signin')))];
}

export async function signin(ctx) {
  const form = h('form', { class: 'stack', novalidate: true },
    textField('si-login', 'login', t('login'), { type: 'text', autocomplete: 'username', required: true }),
    textField('si-password', 'password', t('password'), { type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit', class: 'primary' }, t('signin_button')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const session = await api('POST', '/auth/session', {
        login: String(data.get('login') || '').trim(), password: String(data.get('password') || ''),
      });
      ctx.signedIn(session.user);
      ctx.navigate('/', tNodes('welcome', { name: content(session.user.username) }));
    } catch (error) {
      if (error.code === 'validation_failed') {
        showFormError(form, error, ctx);
        return;
      }
      // A wrong password is a 401 here: say so plainly, not "something went wrong".
      const text = error.status === 401 ? t('err_wrong_credentials') : errorText(error);
      markFields(form, null);
      form.querySelector('.form-error')?.remove();
      form.querySelector('button[type="submit"]').before(h('p', { class: 'form-error', role: 'alert', id: 'signin-error' }, text));
      ctx.status(text, 'error');
    }
  });
  return [title(t('signin_title')), form, h('p', {}, t('no_account'), ' ', link('/signup', t('nav_signup')))];
}

/**
 * My account: profile, preferred genres, email and password (both need the
 * current password), sign out everywhere, and links to my lists.
 */
export async function account(ctx) {
  if (!ctx.user) return needSignIn();
  const [me, allGenres] = await Promise.all([api('GET', '/users/me'), ctx.genres()]);
  const section = (id, heading, ...body) => h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, heading), ...body);

  const genresForm = h('form', { class: 'stack wide', novalidate: true, id: 'genres-form' },
    h('fieldset', { class: 'bare' }, h('legend', { class: 'visually-hidden' }, t('pick_genres')), genrePicker(allGenres, me.preferred_genres, 'ag')),
    h('button', { type: 'submit', class: 'primary' }, t('save_genres')));
  genresForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = new FormData(genresForm).getAll('preferred_genres').map(String);
    try {
      const profile = await api('PATCH', '/users/me', { preferred_genres: chosen });
      ctx.signedIn(profile);
      markFields(genresForm, null);
      genresForm.querySelector('.form-error')?.remove();
      ctx.status(t('genres_saved'), 'ok');
    } catch (error) {
      showFormError(genresForm, error, ctx);
    }
  });

  const emailForm = h('form', { class: 'stack', novalidate: true, id: 'email-form' },
    textField('ac-email', 'email', t('new_email'), { type: 'email', autocomplete: 'email', required: true, maxlength: 254 }),
    textField('ac-email-current', 'current_password', t('current_password'), { type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit', class: 'primary' }, t('change_email')));
  const emailShown = content(me.email || '', 'span', { id: 'account-email' });
  emailForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(emailForm);
    try {
      const profile = await api('PATCH', '/users/me', { email: String(data.get('email') || '').trim(), current_password: String(data.get('current_password') || '') });
      markFields(emailForm, null);
      emailForm.querySelector('.form-error')?.remove();
      emailForm.reset();
      emailShown.textContent = profile.email || '';
      ctx.status(t('email_saved'), 'ok');
    } catch (error) {
      showFormError(emailForm, error, ctx);
    }
  });

  const passwordForm = h('form', { class: 'stack', novalidate: true, id: 'password-form' },
    textField('ac-password', 'password', t('new_password'), { type: 'password', autocomplete: 'new-password', required: true, maxlength: 128 }, t('password_hint')),
    textField('ac-password-current', 'current_password', t('current_password'), { type: 'password', autocomplete: 'current-password', required: true }),
    h('p', { class: 'muted' }, t('password_note')),
    h('button', { type: 'submit', class: 'primary' }, t('change_password')));
  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(passwordForm);
    try {
      await api('PATCH', '/users/me', { password: String(data.get('password') || ''), current_password: String(data.get('current_password') || '') });
      // The new password ended every session, this one too: clear the cookies.
      await api('DELETE', '/auth/session').catch(() => {});
      ctx.signedOut();
      ctx.navigate('/signin', t('password_saved'));
    } catch (error) {
      showFormError(passwordForm, error, ctx);
    }
  });

  const everywhere = confirmButton(t('signout_all'), t('signout_all_confirm'), t('yes_sure'), t('keep'), async () => {
    const ok = await ctx.run(() => api('POST', '/auth/logout-all'));
    if (!ok) return false;
    await api('DELETE', '/auth/session').catch(() => {});
    ctx.signedOut();
    ctx.navigate('/', t('signed_out_all'));
    return true;
  }, { id: 'sign-out-everywhere' });

  return [
    title(t('account_title')),
    h('p', { class: 'profile' }, content(me.username, 'strong'), ' · ', emailShown),
    h('p', { class: 'muted' }, t('member_since', { date: date(me.created_at) }), ' · ', t('n_rated', { n: number(me.rating_count) })),
    section('lists-heading', t('my_lists'), h('ul', { class: 'link-list' },
      h('li', {}, link('/me/ratings', t('ratings_title'))),
      h('li', {}, link('/me/not-interested', t('not_interested_title'))),
      h('li', {}, link('/watchlist', t('watchlist_title'))),
      h('li', {}, link('/orders', t('orders_title'))))),
    section('genres-heading', t('pick_genres'), genresForm),
    h('div', { class: 'two-columns' },
      section('email-heading', t('change_email'), emailForm),
      section('password-heading', t('change_password'), passwordForm)),
    section('sessions-heading', t('sessions'), h('p', {}, t('signout_all_text')), everywhere),
  ];
}

function pageNumber(ctx) {
  const page = Number.parseInt(ctx.query.get('page') || '1', 10);
  return Number.isFinite(page) && page > 0 ? page : 1;
}

const thumb = (movie) => poster(movie, { className: 'thumb' });

const RATING_SORTS = {
  recent: (a, b) => b.rated_at.localeCompare(a.rated_at),
  high: (a, b) => b.rating - a.rating || b.rated_at.localeCompare(a.rated_at),
  low: (a, b) => a.rating - b.rating || b.rated_at.localeCompare(a.rated_at),
  title: (a, b) => a.movie.title.localeCompare(b.movie.title),
};

/**
 * My ratings, sortable. The API lists them most recent first, so the page
 * loads them all (100 per request) and sorts and pages them itself.
 */
export async function ratings(ctx) {
  if (!ctx.user) return needSignIn();
  const sort = ctx.query.get('sort') in RATING_SORTS ? ctx.query.get('sort') : 'recent';
  const all = [];
  for (let page = 1; ; page += 1) {
    const result = await api('GET', `/users/me/ratings${query({ page, per_page: 100 })}`);
    all.push(...result.items);
    if (page >= result.total_pages) break;
  }
  all.sort(RATING_SORTS[sort]);
  const perPage = 20;
  const pages = Math.max(1, Math.ceil(all.length / perPage));
  const page = Math.min(pageNumber(ctx), pages);
  const shown = all.slice((page - 1) * perPage, page * perPage);
  const select = h('select', { id: 'ratings-sort', name: 'sort' },
    Object.keys(RATING_SORTS).map((key) => h('option', { value: key, selected: key === sort }, t(`ratings_sort_${key}`))));
  select.addEventListener('change', () => ctx.navigate(`/me/ratings${query({ sort: select.value === 'recent' ? '' : select.value })}`));
  const hrefFor = (n) => `/me/ratings${query({ sort: sort === 'recent' ? '' : sort, page: n })}`;
  return [
    title(t('ratings_title')),
    h('div', { class: 'field inline' }, h('label', { for: 'ratings-sort' }, t('sort')), select),
    shown.length
      ? h('ul', { class: 'list', id: 'my-ratings' }, shown.map((entry) => h('li', { dataset: { movieId: String(entry.movie.id) } },
        thumb(entry.movie),
        h('div', { class: 'grow' }, movieLink(entry.movie),
          h('p', { class: 'muted' }, t('rated_on', { date: date(entry.rated_at) }))),
        h('span', { class: 'rating-summary mine' }, h('span', { class: 'star', 'aria-hidden': 'true' }, '★ '),
          t('n_stars', { n: number(entry.rating, 1) })))))
      : h('p', {}, t('ratings_empty')),
    pager(page, pages, hrefFor),
    h('p', {}, link('/me/not-interested', t('not_interested_title'))),
  ];
}

/** My "not interested" list, each with Undo. */
export async function notInterested(ctx) {
  if (!ctx.user) return needSignIn();
  const page = await api('GET', `/users/me/not-interested${query({ page: pageNumber(ctx), per_page: 20 })}`);
  const heading = [title(t('not_interested_title')), h('p', { class: 'muted' }, t('not_interested_intro'))];
  if (!page.items.length) return [...heading, h('p', { id: 'not-interested-empty' }, t('not_interested_empty'))];
  const list = h('ul', { class: 'list', id: 'not-interested' });
  for (const entry of page.items) {
    const undo = h('button', { type: 'button', class: 'undo' }, t('undo'));
    const titleId = `ni-title-${entry.movie.id}`;
    undo.setAttribute('aria-describedby', titleId);
    const item = h('li', { dataset: { movieId: String(entry.movie.id) } }, thumb(entry.movie),
      h('div', { class: 'grow' }, movieLink(entry.movie, { id: titleId }),
        h('p', { class: 'muted' }, t('dismissed_on', { date: date(entry.added_at) }))),
      undo);
    undo.addEventListener('click', async () => {
      if (await ctx.run(() => api('DELETE', `/users/me/not-interested/${entry.movie.id}`), t('undismissed'))) {
        item.remove();
        if (!list.children.length) list.replaceWith(h('p', { id: 'not-interested-empty' }, t('not_interested_empty')));
      }
    });
    list.append(item);
  }
  return [...heading, list, pager(page.page, page.total_pages, (n) => `/me/not-interested?page=${n}`)];
}

export async function watchlist(ctx) {
  if (!ctx.user) return needSignIn();
  const page = await api('GET', `/users/me/watchlist${query({ page: pageNumber(ctx), per_page: 20 })}`);
  if (!page.items.length) return [title(t('watchlist_title')), h('p', {}, t('watchlist_empty'))];
  const list = h('ul', { class: 'list' });
  for (const entry of page.items) {
    const titleId = `wl-title-${entry.movie.id}`;
    const remove = h('button', { type: 'button', 'aria-describedby': titleId }, t('remove'));
    const item = h('li', {}, thumb(entry.movie),
      h('div', { class: 'grow' }, movieLink(entry.movie, { id: titleId }),
        h('p', { class: 'muted' }, t('added_on', { date: date(entry.added_at) }))),
      remove);
    remove.addEventListener('click', async () => {
      if (await ctx.run(() => api('DELETE', `/users/me/watchlist/${entry.movie.id}`), t('removed_watchlist'))) item.remove();
    });
    list.append(item);
  }
  return [title(t('watchlist_title')), list, pager(page.page, page.total_pages, (n) => `/watchlist?page=${n}`)];
}

// ---------------------------------------------------------------- store

/** A fresh key per checkout attempt: a retried click cannot order twice. */
function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

const MAX_QUANTITY = 99;

/** The cart as a list of lines (it fits a phone: no wide table). */
export async function cart(ctx) {
  if (!ctx.user) return needSignIn();
  const view = await api('GET', '/cart');
  ctx.refreshCart(view);
  if (!view.items.length) {
    return [title(t('cart_title')), h('p', {}, t('cart_empty')), h('p', {}, link('/browse', t('nav_browse'), { class: 'button' }))];
  }
  const rows = view.items.map((line) => {
    const titleId = `cart-title-${line.movie.id}`;
    const digital = line.movie.stock === null || line.movie.stock === undefined;
    let qtyControl;
    if (digital) {
      qtyControl = h('span', { class: 'qty-fixed' }, t('digital_qty'));
    } else {
      const qtyId = `qty-${line.movie.id}`;
      const qty = h('input', { type: 'number', inputmode: 'numeric', min: 0, max: MAX_QUANTITY, value: String(line.quantity), id: qtyId, 'aria-labelledby': `${qtyId}-label ${titleId}` });
      qty.addEventListener('change', async () => {
        const wanted = Number.parseInt(qty.value, 10) || 0;
        const quantity = Math.max(0, Math.min(MAX_QUANTITY, wanted));
        // Say so when the number typed is more than a line may hold.
        const message = wanted > MAX_QUANTITY ? t('quantity_clamped', { max: number(MAX_QUANTITY) }) : t('cart_updated');
        if (await ctx.run(() => api('PUT', `/cart/items/${line.movie.id}`, { quantity }))) {
          await ctx.rerender();
          ctx.status(message, wanted > MAX_QUANTITY ? 'error' : 'ok');
        }
      });
      qtyControl = h('span', { class: 'qty' }, h('label', { for: qtyId, id: `${qtyId}-label` }, t('quantity')), qty);
    }
    const remove = h('button', { type: 'button', 'aria-describedby': titleId }, t('remove'));
    remove.addEventListener('click', async () => {
      if (await ctx.run(() => api('DELETE', `/cart/items/${line.movie.id}`), t('cart_updated'))) ctx.rerender();
    });
    return h('li', { class: 'cart-line', dataset: { movieId: String(line.movie.id) } },
      thumb(line.movie),
      h('div', { class: 'grow' }, movieLink(line.movie, { id: titleId }),
        h('p', { class: 'muted' }, line.unit_price === null ? t('not_for_sale') : formatPrice(line.unit_price, view.currency))),
      h('div', { class: 'line-controls' }, qtyControl,
        h('span', { class: 'line-total' }, line.line_total === null ? '—' : formatPrice(line.line_total, view.currency)),
        remove));
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
      ctx.status(errorText(error), 'error');
    }
  });
  return [
    title(t('cart_title')),
    h('ul', { class: 'list cart', id: 'cart-lines' }, rows),
    h('p', { class: 'cart-total' }, h('span', {}, t('total')), ' ', h('strong', { id: 'cart-total' }, formatPrice(view.total, view.currency))),
    h('div', { class: 'actions cart-actions' }, checkout),
  ];
}

function orderItem(order, ctx, { admin = false } = {}) {
  const statusText = h('span', { class: 'order-status' }, t(`status_${order.status}`));
  const item = h('li', { class: 'order', dataset: { orderId: String(order.id) } },
    h('h2', {}, t('order_n', { id: order.id }), ' · ', statusText),
    h('p', { class: 'muted' }, t('placed_on', { date: date(order.created_at, true) }), admin ? ` · ${t('order_user')} #${order.user_id}` : ''),
    h('ul', { 'aria-label': t('items') }, order.items.map((line) => h('li', {},
      line.movie_id ? link(`/movies/${line.movie_id}`, content(line.title)) : content(line.title),
      ` × ${number(line.quantity)} — ${formatPrice(line.line_total, order.currency)}`))),
    h('p', {}, h('strong', {}, `${t('total')}: ${formatPrice(order.total, order.currency)}`)));
  if (!admin && order.status === 'placed') {
    // Cancelling cannot be undone, so it asks first.
    const cancel = confirmButton(t('cancel_order'), t('cancel_confirm', { id: order.id }), t('cancel_yes'), t('cancel_keep'), async () => {
      const ok = await ctx.run(() => api('POST', `/orders/${order.id}/cancel`), t('order_cancelled', { id: order.id }));
      if (!ok) return false;
      statusText.textContent = t('status_cancelled');
      cancel.remove();
      item.querySelector('h2').focus();
      return true;
    }, { class: 'cancel-order' });
    item.querySelector('h2').setAttribute('tabindex', '-1');
    item.append(cancel);
  }
  return item;
}

export async function orders(ctx) {
  if (!ctx.user) return needSignIn();
  const page = await api('GET', `/orders${query({ page: pageNumber(ctx), per_page: 10 })}`);
  if (!page.items.length) return [title(t('orders_title')), h('p', {}, t('orders_empty'))];
  const list = h('ul', { class: 'list', id: 'orders' }, page.items.map((order) => orderItem(order, ctx)));
  return [title(t('orders_title')), list, pager(page.page, page.total_pages, (n) => `/orders?page=${n}`)];
}

// ---------------------------------------------------------------- admin

function age(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (seconds < 120) return t('seconds_ago', { n: number(seconds) });
  if (seconds < 7200) return t('minutes_ago', { n: number(Math.round(seconds / 60)) });
  return t('hours_ago', { n: number(Math.round(seconds / 3600)) });
}

const METRIC_DIGITS = { train_rmse: 3, train_mae: 3, sample_size: 0 };

function modelStats(model) {
  const row = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  return h('dl', { class: 'stats', id: 'model-stats', dataset: { version: model.version } },
    row(t('version'), content(model.version, 'code')),
    row(t('trained_at'), date(model.trained_at, true)),
    row(t('age'), age(model.trained_at)),
    row(t('training_time'), t('ms', { n: number(model.training_ms) })),
    row(t('users'), number(model.users)),
    row(t('movies'), number(model.movies)),
    row(t('ratings'), number(model.ratings)),
    row(t('training_now'), model.training_in_progress ? t('yes') : t('no')),
    row(t('writes_since'), number(model.writes_since_training)),
    row(t('algorithms'), h('ul', { class: 'plain' }, model.algorithms.map((a) => h('li', {},
      content(a.name, 'code'), ' ', t('ms', { n: number(a.training_ms, 1) }))))));
}

function metricStats(model) {
  return h('dl', { class: 'stats', id: 'model-metrics' }, Object.entries(model.metrics || {}).map(([key, value]) => [
    h('dt', {}, t(`metric_${key}`)),
    h('dd', {}, typeof value === 'number' ? number(value, METRIC_DIGITS[key] ?? 3) : '—'),
  ]));
}

/** Model status with a retrain button, the rating chart and recent orders. */
export async function admin(ctx) {
  if (!ctx.user) return needSignIn();
  if (ctx.user.role !== 'admin') return [title(t('admin_title')), h('p', {}, t('admin_only'))];
  const [model, distribution, allOrders] = await Promise.all([
    api('GET', '/admin/model'),
    api('GET', '/admin/ratings/distribution'),
    api('GET', '/admin/orders?per_page=10'),
  ]);
  const caption = t('distribution_desc', { total: number(distribution.total) });
  let stats = modelStats(model);
  let metrics = metricStats(model);
  const retrain = h('button', { type: 'button', class: 'primary', id: 'retrain' }, t('retrain'));
  retrain.addEventListener('click', async () => {
    retrain.disabled = true;
    let answer = null;
    const ok = await ctx.run(async () => { answer = await api('POST', '/admin/model/retrain'); });
    if (!ok) { retrain.disabled = false; return; }
    ctx.status(answer.status === 'queued' ? t('retrain_queued') : t('retrain_started'), 'ok');
    // Poll until a model newer than the one shown is in place (or give up after 2 min).
    for (let i = 0; i < 120 && ctx.stillCurrent(); i += 1) {
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
      const fresh = await api('GET', '/admin/model').catch(() => null);
      if (fresh && fresh.version !== stats.dataset.version && !fresh.training_in_progress) {
        const nextStats = modelStats(fresh);
        const nextMetrics = metricStats(fresh);
        stats.replaceWith(nextStats);
        metrics.replaceWith(nextMetrics);
        stats = nextStats;
        metrics = nextMetrics;
        ctx.status(t('retrain_done'), 'ok');
        break;
      }
    }
    retrain.disabled = false;
  });
  const available = Math.min(640, (document.getElementById('main').clientWidth || 640) - 40);
  return [
    title(t('admin_title')),
    h('div', { class: 'actions' }, retrain),
    stats,
    h('h2', {}, t('metrics')),
    metrics,
    h('h2', { id: 'distribution' }, t('distribution')),
    h('figure', {}, distributionChart(distribution.items, caption, available), h('figcaption', { class: 'muted' }, caption)),
    h('h2', { id: 'admin-orders-heading' }, t('admin_orders')),
    allOrders.items.length
      ? h('ul', { class: 'list', id: 'admin-orders' }, allOrders.items.map((order) => orderItem(order, ctx, { admin: true })))
      : h('p', {}, t('no_admin_orders')),
  ];
}

export async function notFound() {
  return [title(t('not_found')), h('p', {}, t('not_found_text')), h('p', {}, link('/', t('back_home'), { class: 'button' }))];
}
