// Reusable pieces: posters with a generated cover as fallback, movie cards
// and rows, the half-star rating input, confirmations, pagination and the
// admin bar chart.

import { content, h, svg } from './dom.js';
import { t, tNodes, tCount, number, price, genreName } from './i18n.js';

/** The store currency, named by the server in the page shell. */
export function currency() {
  const meta = document.querySelector('meta[name="cinerank-currency"]');
  return (meta && /^[A-Z]{3}$/.test(meta.content)) ? meta.content : 'KRW';
}

export function formatPrice(amount, code = currency()) {
  return price(amount, code);
}

/** "Title (1999)" as catalogue content. */
export function movieTitle(movie, tag = 'span', attrs = {}) {
  return content(movie.year ? `${movie.title} (${movie.year})` : movie.title, tag, attrs);
}

/** A hue per genre, so a generated cover says something about the film. */
const GENRE_HUES = {
  Action: 8, Adventure: 28, Animation: 48, Biography: 200, Comedy: 52, Crime: 350, Documentary: 170,
  Drama: 220, Family: 95, Fantasy: 275, History: 35, Horror: 0, Music: 310, Mystery: 250,
  Romance: 335, 'Science Fiction': 190, Sports: 120, Thriller: 260, War: 80, Western: 22,
};

function hash(text) {
  let value = 0;
  for (const c of text) value = (value * 31 + c.codePointAt(0)) >>> 0;
  return value;
}

/**
 * A cover for a movie without a (loadable) poster: its title and year on a
 * gradient in its first genre's colour. Decorative (`aria-hidden`): the
 * title is always written next to it.
 */
export function generatedCover(movie, className = 'poster') {
  const first = movie.genres && movie.genres[0];
  const base = first in GENRE_HUES ? GENRE_HUES[first] : hash(movie.title) % 360;
  // A small per-title shift, so two dramas side by side are not identical.
  const hue = (base + (hash(movie.title) % 24) - 12 + 360) % 360;
  const cover = h('div', { class: `${className} cover`, 'aria-hidden': 'true', dataset: { fallback: 'true' } },
    content(movie.title, 'span', { class: 'cover-title' }),
    movie.year ? h('span', { class: 'cover-year' }, String(movie.year)) : null);
  // Custom properties through the CSSOM: allowed by the page's CSP (which
  // forbids style attributes written in markup).
  cover.style.setProperty('--hue', String(hue));
  return cover;
}

/**
 * A poster image; a missing URL, a non-http(s) URL or a failed load all end
 * on the generated cover, which replaces the image in place.
 */
export function poster(movie, { className = 'poster', lazy = true } = {}) {
  if (!movie.poster_url || !/^https?:\/\//i.test(movie.poster_url)) return generatedCover(movie, className);
  // alt="" because the title is always written beside the poster.
  const img = h('img', { class: className, alt: '', width: 200, height: 300, loading: lazy ? 'lazy' : null, decoding: 'async' });
  img.addEventListener('error', () => img.replaceWith(generatedCover(movie, className)), { once: true });
  img.src = movie.poster_url;
  return img;
}

/** "★ 4.1 · 310 ratings", or "No ratings yet". */
export function ratingSummary(movie) {
  if (!movie.rating_count || movie.avg_rating === null || movie.avg_rating === undefined) {
    return h('span', { class: 'rating-summary' }, t('no_ratings'));
  }
  return h('span', { class: 'rating-summary' },
    h('span', { class: 'star', 'aria-hidden': 'true' }, '★ '),
    h('span', { class: 'visually-hidden' }, t('avg_of', { avg: number(movie.avg_rating, 1), n: tCount('n_ratings', movie.rating_count) })),
    h('span', { 'aria-hidden': 'true' }, `${number(movie.avg_rating, 1)} · ${tCount('n_ratings', movie.rating_count)}`));
}

/** Genre names, translated, as a list of chips (links to browse when `linked`). */
export function genreChips(genres, linked = false) {
  return h('ul', { class: 'chips', 'aria-label': t('genres') }, genres.map((g) => h('li', {},
    linked ? h('a', { href: `/browse?genre=${encodeURIComponent(g)}`, 'data-link': true }, genreName(g)) : genreName(g))));
}

/** A recommendation reason as text nodes (titles stay marked as content). */
export function reasonText(reason) {
  switch (reason.kind) {
    case 'similar_to': return tNodes('reason_similar', { title: content(reason.title) });
    case 'genre': return t('reason_genre', { genre: genreName(reason.genre) });
    default: return t('reason_popular');
  }
}

/** Why a movie is "more like this". */
export function similarReasonText(reason) {
  switch (reason.kind) {
    case 'same_series': return t('similar_same_series');
    case 'same_director': return tNodes('similar_same_director', { name: content(reason.name) });
    case 'shared_cast': return tNodes('similar_shared_cast', { name: content(reason.name) });
    case 'same_genre': return t('similar_same_genre', { genre: genreName(reason.genre) });
    default: return t('similar_rated_together');
  }
}

/**
 * A card linking to the movie page: poster first, then title, rating, the
 * caller's own rating when there is one (`mine`), and optional reasons.
 */
export function movieCard(movie, { reasons = null, mine = null } = {}) {
  return h('li', { class: 'card', dataset: { movieId: String(movie.id), genres: movie.genres.join('|') } },
    h('a', { class: 'card-link', href: `/movies/${movie.id}`, 'data-link': true },
      poster(movie),
      movieTitle(movie, 'span', { class: 'card-title' })),
    h('div', { class: 'card-body' },
      ratingSummary(movie),
      mine !== null && mine !== undefined
        ? h('p', { class: 'my-rating' }, h('span', { 'aria-hidden': 'true' }, '★ '), t('my_rating_badge', { n: number(mine, 1) }))
        : null,
      movie.genres.length ? h('p', { class: 'card-genres' }, movie.genres.slice(0, 2).map(genreName).join(' · ')) : null,
      reasons && reasons.length
        ? h('ul', { class: 'reasons', 'aria-label': t('why') }, reasons.slice(0, 2).map((r) => h('li', {}, r)))
        : null));
}

/**
 * Cards in a grid (`layout: 'grid'`) or a horizontally scrolling row.
 * `items` are `{movie, reasons?}`; `mine` maps movie id → the caller's rating.
 */
export function movieList(items, label, { layout = 'grid', mine = null, id = null } = {}) {
  return h('ul', { class: layout === 'row' ? 'row' : 'grid', 'aria-label': label, id },
    items.map(({ movie, reasons }) => movieCard(movie, { reasons, mine: mine ? mine.get(movie.id) : null })));
}

/** A home-page row: heading and a sideways-scrolling list of cards. */
export function movieRow(id, heading, items, mine) {
  if (!items.length) return null;
  const headingId = `${id}-heading`;
  const list = movieList(items, null, { layout: 'row', mine });
  list.setAttribute('aria-labelledby', headingId);
  return h('section', { class: 'movie-row', id: `${id}-section`, 'aria-labelledby': headingId },
    h('h2', { id: headingId }, heading), list);
}

/**
 * Ten radio buttons, 0.5 to 5.0, drawn as five stars split in halves. Being
 * radios, they are one tab stop. A click saves at once; arrow keys only
 * choose (so reaching 4.5 is not eight saves) and Enter or the Save button
 * saves the choice.
 */
export function ratingInput(current, onRate, onClear) {
  let saved = current ?? null;
  let pending = null;
  let arrowed = false;
  const row = h('div', { class: 'stars-row' });
  const value = h('span', { class: 'value', 'aria-hidden': 'true' });
  const labels = [];
  const inputs = [];
  const save = h('button', { type: 'button', class: 'primary save-rating', hidden: true });
  const clear = h('button', { type: 'button', class: 'linklike', hidden: saved === null }, t('clear_rating'));
  const paint = (rating) => {
    labels.forEach((label, i) => label.classList.toggle('on', rating !== null && i < rating * 2));
    value.textContent = rating === null ? t('not_rated') : number(rating, 1);
  };
  const commit = async (stars) => {
    pending = null;
    save.hidden = true;
    if (await onRate(stars)) {
      saved = stars;
      clear.hidden = false;
    }
  };
  for (let i = 1; i <= 10; i += 1) {
    const stars = i / 2;
    const id = `rate-${i}`;
    const input = h('input', { type: 'radio', name: 'my-rating', id, value: String(stars), class: 'visually-hidden', checked: saved === stars });
    input.addEventListener('change', () => {
      paint(stars);
      if (arrowed) {
        pending = stars;
        save.textContent = t('save_rating', { n: number(stars, 1) });
        save.hidden = false;
      } else {
        commit(stars);
      }
    });
    const label = h('label', { for: id, class: `half ${i % 2 ? 'left' : 'right'}` },
      h('span', { class: 'glyph', 'aria-hidden': 'true' }, '★'),
      h('span', { class: 'visually-hidden' }, t('n_stars', { n: number(stars, 1) })));
    labels.push(label);
    inputs.push(input);
    row.append(input, label);
  }
  row.addEventListener('keydown', (event) => {
    arrowed = event.key.startsWith('Arrow') || event.key === 'Home' || event.key === 'End';
    if (event.key === 'Enter') {
      event.preventDefault();
      const checked = inputs.find((input) => input.checked);
      if (checked && Number(checked.value) !== saved) commit(Number(checked.value));
    }
  });
  row.addEventListener('pointerdown', () => { arrowed = false; });
  row.append(value);
  paint(saved);
  save.addEventListener('click', () => { if (pending !== null) commit(pending); });
  clear.addEventListener('click', async () => {
    if (await onClear()) {
      inputs.forEach((input) => { input.checked = false; });
      saved = null;
      pending = null;
      save.hidden = true;
      paint(null);
      clear.hidden = true;
    }
  });
  return h('fieldset', { class: 'rating-input' },
    h('legend', {}, t('your_rating')), row,
    h('p', { class: 'hint muted' }, t('rating_hint')),
    h('div', { class: 'actions compact' }, save, clear));
}

/**
 * A button that asks before it acts: the first click shows the question
 * with "yes" and "keep" buttons in its place (focus moves to "keep", the
 * safe answer); `action` runs only after "yes".
 */
export function confirmButton(label, question, yesLabel, keepLabel, action, attrs = {}) {
  const wrapper = h('div', { class: 'confirm' });
  const button = h('button', { type: 'button', ...attrs }, label);
  const ask = () => {
    const yes = h('button', { type: 'button', class: 'danger confirm-yes' }, yesLabel);
    const keep = h('button', { type: 'button', class: 'confirm-keep' }, keepLabel);
    const box = h('div', { class: 'confirm-box', role: 'group', 'aria-label': question },
      h('p', {}, question), h('div', { class: 'actions compact' }, yes, keep));
    keep.addEventListener('click', () => { box.replaceWith(button); button.focus(); });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      const done = await action();
      if (done === false) { box.replaceWith(button); button.focus(); }
    });
    button.replaceWith(box);
    keep.focus();
  };
  button.addEventListener('click', ask);
  wrapper.append(button);
  return wrapper;
}

/** Previous / "page x of y" / next, as links (each page has its own URL). */
export function pager(page, totalPages, hrefFor) {
  if (totalPages <= 1 || page > totalPages) return null;
  return h('nav', { class: 'pager', 'aria-label': t('pagination') },
    page > 1 ? h('a', { class: 'button', href: hrefFor(page - 1), 'data-link': true, rel: 'prev' }, t('prev')) : null,
    h('span', {}, t('page_of', { page: number(page), pages: number(totalPages) })),
    page < totalPages ? h('a', { class: 'button', href: hrefFor(page + 1), 'data-link': true, rel: 'next' }, t('next')) : null);
}

/** Round tick steps (1, 2 or 5 × a power of ten) so the axis reads 10,000, not 14,250. */
export function niceStep(max, wanted = 4) {
  const raw = Math.max(1, max) / wanted;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return Math.max(1, step);
}

/**
 * An SVG bar chart of `{rating, count}` buckets, with a text title for
 * screen readers. It is drawn at the width it will be shown at (at most
 * 640 px), so its labels stay readable on a phone.
 */
export function distributionChart(buckets, caption, available = 640) {
  const width = Math.max(300, Math.min(640, Math.floor(available)));
  const height = 260;
  const left = 56;
  const bottom = 30;
  const top = 16;
  const step = niceStep(Math.max(...buckets.map((b) => b.count)));
  const max = step * Math.max(1, Math.ceil(Math.max(1, ...buckets.map((b) => b.count)) / step));
  const slot = (width - left - 10) / buckets.length;
  const scale = (height - top - bottom) / max;
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'chart-title' },
    svg('title', { id: 'chart-title' }, caption));
  for (let tick = 0; tick <= max; tick += step) {
    const y = height - bottom - tick * scale;
    chart.append(
      svg('line', { class: 'grid-line', x1: left, x2: width - 6, y1: y, y2: y }),
      svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, number(tick)));
  }
  buckets.forEach((bucket, i) => {
    const barHeight = bucket.count * scale;
    const x = left + i * slot + slot * 0.15;
    const y = height - bottom - barHeight;
    chart.append(
      svg('rect', { class: 'bar', x, y, width: slot * 0.7, height: Math.max(barHeight, 0), rx: 2 },
        svg('title', {}, `${number(bucket.rating, 1)}: ${number(bucket.count)}`)),
      svg('text', { x: x + slot * 0.35, y: height - bottom + 18, 'text-anchor': 'middle' }, number(bucket.rating, 1)));
  });
  return chart;
}
