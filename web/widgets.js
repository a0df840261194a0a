// Reusable pieces: posters with a fallback, movie cards, the half-star
// rating input, pagination and the admin bar chart.

import { h, svg } from './dom.js';
import { t, number, price } from './i18n.js';

export const PLACEHOLDER = '/assets/placeholder.svg';

/** The store currency, named by the server in the page shell. */
export function currency() {
  const meta = document.querySelector('meta[name="cinerank-currency"]');
  return (meta && /^[A-Z]{3}$/.test(meta.content)) ? meta.content : 'KRW';
}

export function formatPrice(amount, code = currency()) {
  return price(amount, code);
}

/**
 * A poster image. A missing URL, a non-http(s) URL or a failed load all end
 * on the neutral placeholder (`data-fallback` marks it, for tests and CSS).
 */
export function poster(movie, { alt = '', className = 'poster', lazy = true } = {}) {
  const img = h('img', { class: className, alt, width: 200, height: 300, loading: lazy ? 'lazy' : null, decoding: 'async' });
  const fallback = () => {
    img.dataset.fallback = 'true';
    img.src = PLACEHOLDER;
  };
  img.addEventListener('error', () => {
    if (img.dataset.fallback !== 'true') fallback();
  });
  if (movie.poster_url && /^https?:\/\//i.test(movie.poster_url)) {
    img.src = movie.poster_url;
  } else {
    fallback();
  }
  return img;
}

/** "★ 4.1 · 310 ratings", or "No ratings yet". */
export function ratingSummary(movie) {
  if (!movie.rating_count || movie.avg_rating === null || movie.avg_rating === undefined) {
    return h('span', { class: 'rating-summary' }, t('no_ratings'));
  }
  return h('span', { class: 'rating-summary', title: t('avg_of', { avg: number(movie.avg_rating, 1), n: number(movie.rating_count) }) },
    h('span', { class: 'star', 'aria-hidden': 'true' }, '★ '),
    h('span', { class: 'visually-hidden' }, t('avg_of', { avg: number(movie.avg_rating, 1), n: number(movie.rating_count) })),
    h('span', { 'aria-hidden': 'true' }, `${number(movie.avg_rating, 1)} · ${t('n_ratings', { n: number(movie.rating_count) })}`));
}

export function reasonText(reason) {
  switch (reason.kind) {
    case 'similar_to': return t('reason_similar', { title: reason.title });
    case 'genre': return t('reason_genre', { genre: reason.genre });
    default: return t('reason_popular');
  }
}

/** A grid card linking to the movie page; `reasons` optional. */
export function movieCard(movie, reasons) {
  const title = movie.year ? `${movie.title} (${movie.year})` : movie.title;
  return h('li', { class: 'card', dataset: { movieId: String(movie.id), genres: movie.genres.join('|') } },
    h('a', { class: 'card-link', href: `/movies/${movie.id}`, 'data-link': true },
      poster(movie),
      h('span', { class: 'card-body' },
        h('span', { class: 'card-title' }, title))),
    h('div', { class: 'card-body' },
      ratingSummary(movie),
      h('p', { class: 'genres' }, movie.genres.join(' · ')),
      reasons && reasons.length
        ? h('ul', { class: 'reasons', 'aria-label': t('why') }, reasons.slice(0, 2).map((r) => h('li', {}, reasonText(r))))
        : null));
}

export function movieGrid(movies, label, reasonsOf) {
  return h('ul', { class: 'grid', 'aria-label': label },
    movies.map((movie) => movieCard(movie, reasonsOf ? reasonsOf(movie) : null)));
}

/**
 * Ten radio buttons, 0.5 to 5.0, drawn as five stars split in halves. Being
 * radios, they are one tab stop and arrow keys change the value.
 */
export function ratingInput(current, onRate, onClear) {
  const row = h('div', { class: 'stars-row' });
  const value = h('span', { class: 'value', 'aria-hidden': 'true' });
  const labels = [];
  const paint = (rating) => {
    labels.forEach((label, i) => label.classList.toggle('on', rating !== null && i < rating * 2));
    value.textContent = rating === null ? t('not_rated') : number(rating, 1);
  };
  for (let i = 1; i <= 10; i += 1) {
    const stars = i / 2;
    const id = `rate-${i}`;
    const input = h('input', { type: 'radio', name: 'my-rating', id, value: String(stars), class: 'visually-hidden', checked: current === stars });
    input.addEventListener('change', async () => {
      paint(stars);
      await onRate(stars);
    });
    const label = h('label', { for: id, class: `half ${i % 2 ? 'left' : 'right'}`, title: t('n_stars', { n: stars }) },
      h('span', { class: 'glyph', 'aria-hidden': 'true' }, '★'),
      h('span', { class: 'visually-hidden' }, t('n_stars', { n: stars })));
    labels.push(label);
    row.append(input, label);
  }
  row.append(value);
  paint(current ?? null);
  const clear = h('button', { type: 'button', class: 'linklike', hidden: current === null || current === undefined }, t('clear_rating'));
  clear.addEventListener('click', async () => {
    row.querySelectorAll('input').forEach((input) => { input.checked = false; });
    paint(null);
    clear.hidden = true;
    await onClear();
  });
  row.addEventListener('change', () => { clear.hidden = false; });
  return h('fieldset', { class: 'rating-input' }, h('legend', {}, t('your_rating')), row, ' ', clear);
}

/** Previous / "page x of y" / next, as links (each page has its own URL). */
export function pager(page, totalPages, hrefFor) {
  if (totalPages <= 1) return null;
  return h('nav', { class: 'pager', 'aria-label': t('pagination') },
    page > 1 ? h('a', { class: 'button', href: hrefFor(page - 1), 'data-link': true, rel: 'prev' }, t('prev')) : null,
    h('span', {}, t('page_of', { page: number(page), pages: number(totalPages) })),
    page < totalPages ? h('a', { class: 'button', href: hrefFor(page + 1), 'data-link': true, rel: 'next' }, t('next')) : null);
}

/** An SVG bar chart of `{rating, count}` buckets, with a text title for screen readers. */
export function distributionChart(buckets, caption) {
  const width = 640;
  const height = 260;
  const left = 48;
  const bottom = 30;
  const top = 16;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const slot = (width - left - 10) / buckets.length;
  const scale = (height - top - bottom) / max;
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title' },
    svg('title', { id: 'chart-title' }, caption));
  for (const tick of [0, 0.5, 1]) {
    const y = height - bottom - tick * max * scale;
    chart.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, number(Math.round(tick * max))));
  }
  buckets.forEach((bucket, i) => {
    const barHeight = bucket.count * scale;
    const x = left + i * slot + slot * 0.15;
    const y = height - bottom - barHeight;
    chart.append(
      svg('rect', { class: 'bar', x, y, width: slot * 0.7, height: Math.max(barHeight, 0), rx: 2 },
        svg('title', {}, `${number(bucket.rating, 1)}: ${number(bucket.count)}`)),
      svg('text', { x: x + slot * 0.35, y: height - bottom + 16, 'text-anchor': 'middle' }, number(bucket.rating, 1)));
  });
  return chart;
}
