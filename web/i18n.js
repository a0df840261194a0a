// UI text in English and Korean. Catalogue data (titles, overviews, genre
// names) is shown as stored; only the interface is translated.

const en = {
  skip: 'Skip to content', language: 'Language', api_docs: 'API docs',
  nav_home: 'Home', nav_browse: 'Browse', nav_ratings: 'My ratings', nav_watchlist: 'Watchlist',
  nav_cart: 'Cart', nav_orders: 'My orders', nav_admin: 'Admin', nav_signin: 'Sign in', nav_signup: 'Sign up',
  nav_signout: 'Sign out', signed_in_as: 'Signed in as {name}', main_nav: 'Main',
  loading: 'Loading…', error_generic: 'Something went wrong: {message}', not_found: 'Page not found',
  not_found_text: 'There is nothing at this address.', back_home: 'Back to the home page',
  home_title: 'Find your next favourite film', for_you: 'For you', popular_now: 'Popular now',
  for_you_empty: 'Rate a few movies and your recommendations appear here.',
  visitor_pitch: 'Sign up, pick the genres you like, and cinerank recommends films for you.',
  why: 'Why we recommend it', reason_similar: 'Because you liked {title}', reason_genre: 'You like {genre}', reason_popular: 'Popular with many viewers',
  n_ratings: '{n} ratings', no_ratings: 'No ratings yet', avg_of: 'Average {avg} from {n} ratings',
  browse_title: 'Browse movies', search: 'Search titles', genre: 'Genre', any_genre: 'Any genre',
  year_from: 'From year', year_to: 'To year', sort: 'Sort by', order: 'Order',
  sort_popularity: 'Popularity', sort_rating: 'Rating', sort_year: 'Year', sort_title: 'Title', sort_newest: 'Newest',
  order_desc: 'Descending', order_asc: 'Ascending', apply: 'Apply', results: '{n} movies',
  no_results: 'No movies match these filters.', prev: 'Previous', next: 'Next', page_of: 'Page {page} of {pages}',
  pagination: 'Pagination',
  poster_of: 'Poster of {title}', overview: 'Overview', no_overview: 'No overview yet.', genres: 'Genres',
  your_rating: 'Your rating', n_stars: '{n} stars', not_rated: 'Not rated', clear_rating: 'Remove my rating',
  rated: 'Rated {n} stars.', rating_removed: 'Rating removed.', sign_in_to_rate: 'Sign in to rate, keep a watchlist and buy.',
  add_watchlist: 'Add to watchlist', remove_watchlist: 'Remove from watchlist', added_watchlist: 'Added to your watchlist.',
  removed_watchlist: 'Removed from your watchlist.', not_interested: 'Not interested', undo_not_interested: 'Show it to me again',
  dismissed: 'We will not recommend this movie to you.', undismissed: 'This movie may be recommended again.',
  add_to_cart: 'Add to cart', added_to_cart: 'Added to your cart.', not_for_sale: 'Not for sale',
  out_of_stock: 'Out of stock', in_stock: '{n} in stock', digital: 'Digital copy',
  similar: 'Similar movies', no_similar: 'No similar movies yet.',
  signup_title: 'Create your account', username: 'Username', username_hint: '3–32 letters, digits, _ . -',
  email: 'Email', password: 'Password', password_hint: 'At least 8 characters',
  pick_genres: 'Genres you like', pick_genres_hint: 'We use them for your first recommendations.',
  create_account: 'Create account', have_account: 'Already have an account?', welcome: 'Welcome, {name}!',
  signin_title: 'Sign in', login: 'Username or email', signin_button: 'Sign in', no_account: 'New to cinerank?',
  signed_out: 'You are signed out.', signin_needed: 'Please sign in to see this page.',
  ratings_title: 'My ratings', ratings_empty: 'You have not rated any movies yet.', rated_on: 'Rated {date}',
  watchlist_title: 'Watchlist', watchlist_empty: 'Your watchlist is empty.', remove: 'Remove', added_on: 'Added {date}',
  cart_title: 'Cart', cart_empty: 'Your cart is empty.', movie: 'Movie', unit_price: 'Price', quantity: 'Quantity',
  quantity_of: 'Quantity of {title}', line_total: 'Subtotal', total: 'Total', checkout: 'Check out',
  remove_from_cart: 'Remove {title} from the cart', cart_updated: 'Cart updated.',
  order_placed: 'Order #{id} placed. Thank you!', orders_title: 'My orders', orders_empty: 'You have no orders yet.',
  order_n: 'Order #{id}', placed_on: 'Placed {date}', status_placed: 'Placed', status_cancelled: 'Cancelled',
  cancel_order: 'Cancel order', order_cancelled: 'Order #{id} cancelled.', items: 'Items',
  admin_title: 'Model status', admin_only: 'Administrators only.', version: 'Version', trained_at: 'Trained',
  age: 'Age', training_time: 'Training time', users: 'Users', movies: 'Movies', ratings: 'Ratings',
  algorithms: 'Algorithms', metrics: 'Offline metrics', training_now: 'Training now', writes_since: 'Writes since training',
  yes: 'yes', no: 'no', distribution: 'Rating distribution', distribution_desc: 'Number of ratings per value, {total} in all',
  minutes_ago: '{n} min ago', hours_ago: '{n} h ago', seconds_ago: '{n} s ago',
  field_errors: 'Please check the highlighted fields.',
};

const ko = {
  skip: '본문으로 건너뛰기', language: '언어', api_docs: 'API 문서',
  nav_home: '홈', nav_browse: '둘러보기', nav_ratings: '내 평점', nav_watchlist: '보고 싶어요',
  nav_cart: '장바구니', nav_orders: '주문 내역', nav_admin: '관리', nav_signin: '로그인', nav_signup: '회원가입',
  nav_signout: '로그아웃', signed_in_as: '{name} 님', main_nav: '주 메뉴',
  loading: '불러오는 중…', error_generic: '문제가 생겼습니다: {message}', not_found: '페이지를 찾을 수 없습니다',
  not_found_text: '이 주소에는 아무것도 없습니다.', back_home: '홈으로 돌아가기',
  home_title: '다음에 좋아할 영화를 찾아보세요', for_you: '추천 영화', popular_now: '지금 인기',
  for_you_empty: '영화 몇 편에 평점을 남기면 여기에 추천이 나타납니다.',
  visitor_pitch: '회원가입하고 좋아하는 장르를 고르면 cinerank가 영화를 추천해 드립니다.',
  why: '추천 이유', reason_similar: '{title}을(를) 좋아하셔서', reason_genre: '좋아하는 장르: {genre}', reason_popular: '많은 사람이 좋아한 영화',
  n_ratings: '평점 {n}개', no_ratings: '아직 평점이 없습니다', avg_of: '평균 {avg}점 (평점 {n}개)',
  browse_title: '영화 둘러보기', search: '제목 검색', genre: '장르', any_genre: '모든 장르',
  year_from: '시작 연도', year_to: '끝 연도', sort: '정렬', order: '순서',
  sort_popularity: '인기순', sort_rating: '평점순', sort_year: '연도순', sort_title: '제목순', sort_newest: '최신 등록순',
  order_desc: '내림차순', order_asc: '오름차순', apply: '적용', results: '영화 {n}편',
  no_results: '조건에 맞는 영화가 없습니다.', prev: '이전', next: '다음', page_of: '{pages}쪽 중 {page}쪽',
  pagination: '페이지 이동',
  poster_of: '{title} 포스터', overview: '줄거리', no_overview: '아직 줄거리가 없습니다.', genres: '장르',
  your_rating: '내 평점', n_stars: '별 {n}개', not_rated: '평가 안 함', clear_rating: '내 평점 지우기',
  rated: '별 {n}개로 평가했습니다.', rating_removed: '평점을 지웠습니다.', sign_in_to_rate: '로그인하면 평점, 보고 싶어요, 구매를 할 수 있습니다.',
  add_watchlist: '보고 싶어요에 추가', remove_watchlist: '보고 싶어요에서 빼기', added_watchlist: '보고 싶어요에 추가했습니다.',
  removed_watchlist: '보고 싶어요에서 뺐습니다.', not_interested: '관심 없음', undo_not_interested: '다시 보여 주기',
  dismissed: '이 영화는 추천하지 않겠습니다.', undismissed: '이 영화를 다시 추천할 수 있습니다.',
  add_to_cart: '장바구니에 담기', added_to_cart: '장바구니에 담았습니다.', not_for_sale: '판매하지 않음',
  out_of_stock: '품절', in_stock: '재고 {n}개', digital: '디지털',
  similar: '비슷한 영화', no_similar: '아직 비슷한 영화가 없습니다.',
  signup_title: '계정 만들기', username: '사용자 이름', username_hint: '영문, 숫자, _ . - 로 3–32자',
  email: '이메일', password: '비밀번호', password_hint: '8자 이상',
  pick_genres: '좋아하는 장르', pick_genres_hint: '첫 추천에 사용합니다.',
  create_account: '가입하기', have_account: '이미 계정이 있으신가요?', welcome: '{name} 님, 환영합니다!',
  signin_title: '로그인', login: '사용자 이름 또는 이메일', signin_button: '로그인', no_account: 'cinerank가 처음이신가요?',
  signed_out: '로그아웃했습니다.', signin_needed: '이 페이지를 보려면 로그인하세요.',
  ratings_title: '내 평점', ratings_empty: '아직 평가한 영화가 없습니다.', rated_on: '{date}에 평가',
  watchlist_title: '보고 싶어요', watchlist_empty: '보고 싶어요 목록이 비어 있습니다.', remove: '빼기', added_on: '{date}에 추가',
  cart_title: '장바구니', cart_empty: '장바구니가 비어 있습니다.', movie: '영화', unit_price: '가격', quantity: '수량',
  quantity_of: '{title} 수량', line_total: '소계', total: '합계', checkout: '주문하기',
  remove_from_cart: '{title}을(를) 장바구니에서 빼기', cart_updated: '장바구니를 바꿨습니다.',
  order_placed: '주문 #{id}을(를) 접수했습니다. 감사합니다!', orders_title: '주문 내역', orders_empty: '아직 주문이 없습니다.',
  order_n: '주문 #{id}', placed_on: '{date} 주문', status_placed: '접수됨', status_cancelled: '취소됨',
  cancel_order: '주문 취소', order_cancelled: '주문 #{id}을(를) 취소했습니다.', items: '상품',
  admin_title: '모델 상태', admin_only: '관리자만 볼 수 있습니다.', version: '버전', trained_at: '학습 시각',
  age: '경과 시간', training_time: '학습 시간', users: '사용자', movies: '영화', ratings: '평점',
  algorithms: '알고리즘', metrics: '오프라인 지표', training_now: '학습 중', writes_since: '학습 후 쓰기 수',
  yes: '예', no: '아니요', distribution: '평점 분포', distribution_desc: '값별 평점 수, 모두 {total}개',
  minutes_ago: '{n}분 전', hours_ago: '{n}시간 전', seconds_ago: '{n}초 전',
  field_errors: '표시된 항목을 확인해 주세요.',
};

const dictionaries = { en, ko };
const STORAGE_KEY = 'cinerank_lang';
let current = 'en';

/** The active language: saved choice, else the browser's, else English. */
export function initLanguage() {
  let saved = null;
  try { saved = localStorage.getItem(STORAGE_KEY); } catch { /* storage may be disabled */ }
  const preferred = saved || (navigator.language || 'en').slice(0, 2);
  current = preferred in dictionaries ? preferred : 'en';
  document.documentElement.lang = current;
  return current;
}

/** Switches language (remembered; it is a preference, not a secret). */
export function setLanguage(lang) {
  current = lang in dictionaries ? lang : 'en';
  document.documentElement.lang = current;
  try { localStorage.setItem(STORAGE_KEY, current); } catch { /* ignore */ }
}

export function language() {
  return current;
}

/** Translated text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = dictionaries[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** A number in the active language's format. */
export function number(value, digits = 0) {
  return new Intl.NumberFormat(current, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/** A date (and time) in the active language's format. */
export function date(iso, withTime = false) {
  const options = withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' };
  return new Intl.DateTimeFormat(current, options).format(new Date(iso));
}

/** A price in minor units of `currency`. */
export function price(amount, currency) {
  const format = new Intl.NumberFormat(current, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(amount / 10 ** digits);
}
