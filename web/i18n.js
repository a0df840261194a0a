// UI text in English and Korean. Catalogue and user data (titles, names,
// overviews, usernames) are shown as stored and marked translate="no";
// everything else on the page comes from here: the interface, the genre
// names, and the API's errors, translated by their stable `code` (the
// server's English `message` is never shown in Korean).

const en = {
  skip: 'Skip to content', language: 'Language', api_docs: 'API docs', menu: 'Menu',
  theme_dark: 'Dark theme', search_label: 'Search movies and people', search_placeholder: 'Search movies and people',
  search_submit: 'Search', suggestions: 'Suggestions', suggest_person: 'Person', suggest_movie: 'Movie',
  suggest_all: 'All results for “{q}”',
  nav_home: 'Home', nav_browse: 'Browse', nav_ratings: 'My ratings', nav_watchlist: 'Watchlist',
  nav_cart: 'Cart', nav_orders: 'My orders', nav_admin: 'Admin', nav_signin: 'Sign in', nav_signup: 'Sign up',
  nav_account: 'Account', nav_signout: 'Sign out', signed_in_as: 'Signed in as {name}', main_nav: 'Main',
  loading: 'Loading…', not_found: 'Page not found',
  not_found_text: 'There is nothing at this address.', back_home: 'Back to the home page',
  movie_not_found: 'No such movie', movie_not_found_text: 'This movie is not in the catalogue (it may have been removed).',
  person_not_found: 'No such person', error_page: 'This page could not be loaded', try_again: 'Try again',
  home_title: 'Find your next favourite film', featured: 'Featured', see_movie: 'See the movie',
  for_you: 'For you', popular_now: 'Popular now', because_you_liked: 'Because you liked {title}',
  top_in: 'Top in {genre}', new_in_catalogue: 'New in the catalogue', row_scroll_hint: 'Scroll sideways for more',
  for_you_empty: 'Rate a few movies and your recommendations appear here.',
  visitor_pitch: 'Sign up, pick the genres you like, and cinerank recommends films for you.',
  why: 'Why we recommend it', reason_similar: 'Because you liked {title}', reason_genre: 'You like {genre}', reason_popular: 'Popular with many viewers',
  similar_rated_together: 'Rated alike by the same viewers', similar_same_series: 'Same series',
  similar_same_director: 'Also directed by {name}', similar_shared_cast: 'Also starring {name}', similar_same_genre: 'Also {genre}',
  n_ratings_one: '{n} rating', n_ratings_other: '{n} ratings', no_ratings: 'No ratings yet',
  avg_of: 'Average {avg} from {n}', my_rating_badge: 'You rated {n}',
  browse_title: 'Browse movies', search_results: 'Results for “{q}”', search: 'Search titles and people', genres_all_of: 'Genres (all of them)',
  genres_chosen: '{n} chosen', any_genre: 'Any genre', clear_genres: 'Clear',
  year_from: 'From year', year_to: 'To year', min_votes: 'Minimum ratings', sort: 'Sort by', order: 'Order',
  sort_popularity: 'Popularity', sort_rating: 'Rating', sort_year: 'Year', sort_title: 'Title', sort_newest: 'Newest',
  sort_relevance: 'Best match', order_default: 'Default',
  order_desc: 'Descending', order_asc: 'Ascending', results: '{n} movies',
  no_results: 'No movies match these filters.', prev: 'Previous', next: 'Next', page_of: 'Page {page} of {pages}',
  page_beyond: 'There are only {pages} pages of results.', go_last_page: 'Go to the last page',
  filters: 'Filters and sorting', pagination: 'Pagination', filters_invalid: 'Please fix the highlighted filter.',
  overview: 'Overview', no_overview: 'No overview yet.', genres: 'Genres',
  runtime: '{n} min', directed_by: 'Directed by', cast: 'Cast', as_character: 'as {character}',
  your_rating: 'Your rating', n_stars: '{n} stars', not_rated: 'Not rated', clear_rating: 'Remove my rating',
  save_rating: 'Save {n} stars', rating_hint: 'Arrow keys choose, Enter saves.',
  rated: 'Rated {n} stars.', rating_removed: 'Rating removed.', sign_in_to_rate: 'Sign in to rate, keep a watchlist and buy.',
  add_watchlist: 'Add to watchlist', remove_watchlist: 'Remove from watchlist', added_watchlist: 'Added to your watchlist.',
  removed_watchlist: 'Removed from your watchlist.', not_interested: 'Not interested', undo_not_interested: 'Show it to me again',
  dismissed: 'We will not recommend this movie to you.', undismissed: 'This movie may be recommended again.',
  add_to_cart: 'Add to cart', added_to_cart: 'Added to your cart.', not_for_sale: 'Not for sale',
  out_of_stock: 'Out of stock', in_stock: '{n} in stock', digital: 'Digital copy',
  digital_in_cart: 'In your cart', digital_owned: 'You own this', digital_once: 'A digital copy is bought once.',
  similar: 'More like this', no_similar: 'No similar movies yet.',
  signup_title: 'Create your account', username: 'Username', username_hint: '3–32 letters or digits (any language), or _ . -',
  email: 'Email', password: 'Password', password_hint: 'At least 8 characters',
  pick_genres: 'Genres you like', pick_genres_hint: 'We use them for your first recommendations.',
  create_account: 'Create account', have_account: 'Already have an account?', welcome: 'Welcome, {name}!',
  signin_title: 'Sign in', login: 'Username or email', signin_button: 'Sign in', no_account: 'New to cinerank?',
  signed_out: 'You are signed out.', signin_needed: 'Please sign in to see this page.',
  account_title: 'My account', member_since: 'Member since {date}', n_rated: '{n} movies rated',
  save_genres: 'Save genres', genres_saved: 'Your genres are saved.',
  change_email: 'Change email', new_email: 'New email', current_password: 'Current password', email_saved: 'Your email address is changed.',
  change_password: 'Change password', new_password: 'New password', password_saved: 'Password changed. Please sign in again with the new one.',
  password_note: 'Changing the password signs you out on every device.',
  sessions: 'Sessions', signout_all: 'Sign out everywhere', signout_all_text: 'Ends every session of this account, on every device, this one included.',
  signout_all_confirm: 'Sign out on every device?', signed_out_all: 'You are signed out on every device.',
  my_lists: 'My lists', not_interested_title: 'Not interested',
  not_interested_empty: 'You have not dismissed any movies.', not_interested_intro: 'These movies are never recommended to you. Undo to see them again.',
  undo: 'Undo', dismissed_on: 'Dismissed {date}',
  ratings_title: 'My ratings', ratings_empty: 'You have not rated any movies yet.', rated_on: 'Rated {date}',
  ratings_sort_recent: 'Most recent', ratings_sort_high: 'Highest rated', ratings_sort_low: 'Lowest rated', ratings_sort_title: 'Title',
  watchlist_title: 'Watchlist', watchlist_empty: 'Your watchlist is empty.', remove: 'Remove', added_on: 'Added {date}',
  cart_title: 'Cart', cart_empty: 'Your cart is empty.', movie: 'Movie', unit_price: 'Price', quantity: 'Quantity',
  line_total: 'Subtotal', total: 'Total', checkout: 'Check out', quantity_clamped: 'At most {max} copies per movie: the quantity is set to {max}.',
  cart_updated: 'Cart updated.', digital_qty: '1 (digital)',
  order_placed: 'Order #{id} placed. Thank you!', orders_title: 'My orders', orders_empty: 'You have no orders yet.',
  order_n: 'Order #{id}', placed_on: 'Placed {date}', status_placed: 'Placed', status_cancelled: 'Cancelled',
  cancel_order: 'Cancel order', cancel_confirm: 'Cancel order #{id}? This cannot be undone.', cancel_yes: 'Yes, cancel it',
  cancel_keep: 'Keep the order', order_cancelled: 'Order #{id} cancelled.', items: 'Items', yes_sure: 'Yes', keep: 'No, keep it',
  admin_title: 'Model status', admin_only: 'Administrators only.', version: 'Version', trained_at: 'Trained',
  age: 'Age', training_time: 'Training time', users: 'Users', movies: 'Movies', ratings: 'Ratings',
  algorithms: 'Algorithms', metrics: 'Offline metrics', training_now: 'Training now', writes_since: 'Writes since training',
  metric_train_rmse: 'Typical rating error (RMSE, stars)', metric_train_mae: 'Average rating error (MAE, stars)', metric_sample_size: 'Ratings in the test sample',
  retrain: 'Retrain now', retrain_started: 'Training started.', retrain_queued: 'Training is queued after the current run.',
  retrain_done: 'A new model is ready.', admin_orders: 'Recent orders', order_user: 'User', order_date: 'Date', order_status: 'Status',
  no_admin_orders: 'No orders yet.', ms: '{n} ms',
  yes: 'yes', no: 'no', distribution: 'Rating distribution', distribution_desc: 'Number of ratings per value, {total} in all',
  minutes_ago: '{n} min ago', hours_ago: '{n} h ago', seconds_ago: '{n} s ago',
  field_errors: 'Please check the highlighted fields.',
  // Errors by the API's code.
  err_network: 'The server cannot be reached. Check your connection and try again.',
  err_wrong_credentials: 'Wrong username, email or password.',
  err_session_expired: 'Your session has ended. Please sign in again.',
  err_username_taken: 'That username is taken.', err_email_taken: 'That email address is already registered.',
  err_forbidden: 'You are not allowed to do that.', err_not_found: 'It does not exist (any more).',
  err_too_many_requests: 'Too many attempts. Wait a minute and try again.', err_csrf_failed: 'The page is out of date. Reload it and try again.',
  err_out_of_stock: 'Not enough copies are in stock.', err_empty_cart: 'Your cart is empty.', err_not_for_sale: 'Something in the cart is no longer for sale.',
  err_order_not_cancellable: 'This order can no longer be cancelled.', err_service_unavailable: 'The service is starting or busy. Try again shortly.',
  err_validation_failed: 'Please check the highlighted fields.', err_invalid_query: 'This address has an invalid value.',
  err_idempotency_key_in_use: 'This order is already being placed.', err_generic: 'Something went wrong on our side. Please try again.',
  // Field messages, by what the API said.
  fe_length: 'Use {min} to {max} characters.', fe_at_least: 'Use at least {n} characters.', fe_at_most: 'Use at most {n} characters.',
  fe_username_chars: 'Use only letters, digits, _ . and -.', fe_username_start: 'Start with a letter or digit.',
  fe_email: 'This is not a valid email address.', fe_control: 'Remove the invisible control characters.',
  fe_between: 'Enter a number from {min} to {max}.', fe_year_order: '“From year” must not be after “To year”.',
  fe_unknown_genre: 'Unknown genre.', fe_current_password: 'The current password is wrong.', fe_needs_current: 'Enter your current password.',
  fe_invalid: 'Please check this field.',
};

const ko = {
  skip: '본문으로 건너뛰기', language: '언어', api_docs: 'API 문서', menu: '메뉴',
  theme_dark: '어두운 화면', search_label: '영화와 인물 검색', search_placeholder: '영화, 인물 검색',
  search_submit: '검색', suggestions: '검색어 제안', suggest_person: '인물', suggest_movie: '영화',
  suggest_all: '“{q}” 검색 결과 모두 보기',
  nav_home: '홈', nav_browse: '둘러보기', nav_ratings: '내 평점', nav_watchlist: '보고 싶어요',
  nav_cart: '장바구니', nav_orders: '주문 내역', nav_admin: '관리', nav_signin: '로그인', nav_signup: '회원가입',
  nav_account: '내 계정', nav_signout: '로그아웃', signed_in_as: '{name} 님', main_nav: '주 메뉴',
  loading: '불러오는 중…', not_found: '페이지를 찾을 수 없습니다',
  not_found_text: '이 주소에는 아무것도 없습니다.', back_home: '홈으로 돌아가기',
  movie_not_found: '없는 영화입니다', movie_not_found_text: '이 영화는 목록에 없습니다 (삭제되었을 수 있습니다).',
  person_not_found: '없는 인물입니다', error_page: '페이지를 불러오지 못했습니다', try_again: '다시 시도',
  home_title: '다음에 좋아할 영화를 찾아보세요', featured: '오늘의 영화', see_movie: '영화 보기',
  for_you: '추천 영화', popular_now: '지금 인기', because_you_liked: '{title}을(를) 좋아하셨다면',
  top_in: '{genre} 인기작', new_in_catalogue: '새로 들어온 영화', row_scroll_hint: '옆으로 넘기면 더 있습니다',
  for_you_empty: '영화 몇 편에 평점을 남기면 여기에 추천이 나타납니다.',
  visitor_pitch: '회원가입하고 좋아하는 장르를 고르면 영화를 추천해 드립니다.',
  why: '추천 이유', reason_similar: '{title}을(를) 좋아하셔서', reason_genre: '좋아하는 장르: {genre}', reason_popular: '많은 사람이 좋아한 영화',
  similar_rated_together: '같은 관객들이 비슷하게 평가', similar_same_series: '같은 시리즈',
  similar_same_director: '같은 감독: {name}', similar_shared_cast: '같은 배우: {name}', similar_same_genre: '같은 장르: {genre}',
  n_ratings_one: '평점 {n}개', n_ratings_other: '평점 {n}개', no_ratings: '아직 평점이 없습니다',
  avg_of: '평균 {avg}점, 평점 {n}개', my_rating_badge: '내 평점 {n}',
  browse_title: '영화 둘러보기', search_results: '“{q}” 검색 결과', search: '제목, 인물 검색', genres_all_of: '장르 (모두 해당)',
  genres_chosen: '{n}개 선택', any_genre: '모든 장르', clear_genres: '선택 해제',
  year_from: '시작 연도', year_to: '끝 연도', min_votes: '최소 평점 수', sort: '정렬', order: '순서',
  sort_popularity: '인기순', sort_rating: '평점순', sort_year: '연도순', sort_title: '제목순', sort_newest: '최신 등록순',
  sort_relevance: '정확도순', order_default: '기본',
  order_desc: '내림차순', order_asc: '오름차순', results: '영화 {n}편',
  no_results: '조건에 맞는 영화가 없습니다.', prev: '이전', next: '다음', page_of: '{pages}쪽 중 {page}쪽',
  page_beyond: '검색 결과는 {pages}쪽까지만 있습니다.', go_last_page: '마지막 쪽으로 가기',
  filters: '필터와 정렬', pagination: '페이지 이동', filters_invalid: '표시된 조건을 고쳐 주세요.',
  overview: '줄거리', no_overview: '아직 줄거리가 없습니다.', genres: '장르',
  runtime: '{n}분', directed_by: '감독', cast: '출연', as_character: '{character} 역',
  your_rating: '내 평점', n_stars: '별 {n}개', not_rated: '평가 안 함', clear_rating: '내 평점 지우기',
  save_rating: '별 {n}개로 저장', rating_hint: '화살표로 고르고 엔터로 저장합니다.',
  rated: '별 {n}개로 평가했습니다.', rating_removed: '평점을 지웠습니다.', sign_in_to_rate: '로그인하면 평점, 보고 싶어요, 구매를 할 수 있습니다.',
  add_watchlist: '보고 싶어요에 추가', remove_watchlist: '보고 싶어요에서 빼기', added_watchlist: '보고 싶어요에 추가했습니다.',
  removed_watchlist: '보고 싶어요에서 뺐습니다.', not_interested: '관심 없음', undo_not_interested: '다시 보여 주기',
  dismissed: '이 영화는 추천하지 않겠습니다.', undismissed: '이 영화를 다시 추천할 수 있습니다.',
  add_to_cart: '장바구니에 담기', added_to_cart: '장바구니에 담았습니다.', not_for_sale: '판매하지 않음',
  out_of_stock: '품절', in_stock: '재고 {n}개', digital: '디지털 소장판',
  digital_in_cart: '장바구니에 있음', digital_owned: '이미 구매함', digital_once: '디지털 소장판은 한 번만 구매합니다.',
  similar: '비슷한 영화', no_similar: '아직 비슷한 영화가 없습니다.',
  signup_title: '계정 만들기', username: '사용자 이름', username_hint: '한글, 영문, 숫자, _ . - 로 3–32자',
  email: '이메일', password: '비밀번호', password_hint: '8자 이상',
  pick_genres: '좋아하는 장르', pick_genres_hint: '첫 추천에 사용합니다.',
  create_account: '가입하기', have_account: '이미 계정이 있으신가요?', welcome: '{name} 님, 환영합니다!',
  signin_title: '로그인', login: '사용자 이름 또는 이메일', signin_button: '로그인', no_account: '처음 오셨나요?',
  signed_out: '로그아웃했습니다.', signin_needed: '이 페이지를 보려면 로그인하세요.',
  account_title: '내 계정', member_since: '{date} 가입', n_rated: '평가한 영화 {n}편',
  save_genres: '장르 저장', genres_saved: '좋아하는 장르를 저장했습니다.',
  change_email: '이메일 바꾸기', new_email: '새 이메일', current_password: '현재 비밀번호', email_saved: '이메일 주소를 바꿨습니다.',
  change_password: '비밀번호 바꾸기', new_password: '새 비밀번호', password_saved: '비밀번호를 바꿨습니다. 새 비밀번호로 다시 로그인하세요.',
  password_note: '비밀번호를 바꾸면 모든 기기에서 로그아웃됩니다.',
  sessions: '로그인 세션', signout_all: '모든 기기에서 로그아웃', signout_all_text: '이 기기를 포함해 이 계정의 모든 세션을 끝냅니다.',
  signout_all_confirm: '모든 기기에서 로그아웃할까요?', signed_out_all: '모든 기기에서 로그아웃했습니다.',
  my_lists: '내 목록', not_interested_title: '관심 없음',
  not_interested_empty: '관심 없음으로 표시한 영화가 없습니다.', not_interested_intro: '이 영화들은 추천하지 않습니다. 되돌리면 다시 추천될 수 있습니다.',
  undo: '되돌리기', dismissed_on: '{date}에 표시',
  ratings_title: '내 평점', ratings_empty: '아직 평가한 영화가 없습니다.', rated_on: '{date}에 평가',
  ratings_sort_recent: '최근 평가순', ratings_sort_high: '높은 평점순', ratings_sort_low: '낮은 평점순', ratings_sort_title: '제목순',
  watchlist_title: '보고 싶어요', watchlist_empty: '보고 싶어요 목록이 비어 있습니다.', remove: '빼기', added_on: '{date}에 추가',
  cart_title: '장바구니', cart_empty: '장바구니가 비어 있습니다.', movie: '영화', unit_price: '가격', quantity: '수량',
  line_total: '소계', total: '합계', checkout: '주문하기', quantity_clamped: '영화 한 편은 {max}개까지 담을 수 있어 수량을 {max}개로 맞췄습니다.',
  cart_updated: '장바구니를 바꿨습니다.', digital_qty: '1 (디지털)',
  order_placed: '주문 #{id}을(를) 접수했습니다. 감사합니다!', orders_title: '주문 내역', orders_empty: '아직 주문이 없습니다.',
  order_n: '주문 #{id}', placed_on: '{date} 주문', status_placed: '접수됨', status_cancelled: '취소됨',
  cancel_order: '주문 취소', cancel_confirm: '주문 #{id}을(를) 취소할까요? 되돌릴 수 없습니다.', cancel_yes: '네, 취소합니다',
  cancel_keep: '주문 유지', order_cancelled: '주문 #{id}을(를) 취소했습니다.', items: '상품', yes_sure: '네', keep: '아니요',
  admin_title: '모델 상태', admin_only: '관리자만 볼 수 있습니다.', version: '버전', trained_at: '학습 시각',
  age: '경과 시간', training_time: '학습 시간', users: '사용자', movies: '영화', ratings: '평점',
  algorithms: '알고리즘', metrics: '오프라인 지표', training_now: '학습 중', writes_since: '학습 후 쓰기 수',
  metric_train_rmse: '평점 오차 (RMSE, 별)', metric_train_mae: '평균 절대 오차 (MAE, 별)', metric_sample_size: '검증 표본 평점 수',
  retrain: '지금 다시 학습', retrain_started: '학습을 시작했습니다.', retrain_queued: '지금 학습이 끝나면 다시 학습합니다.',
  retrain_done: '새 모델이 준비되었습니다.', admin_orders: '최근 주문', order_user: '사용자', order_date: '날짜', order_status: '상태',
  no_admin_orders: '아직 주문이 없습니다.', ms: '{n}밀리초',
  yes: '예', no: '아니요', distribution: '평점 분포', distribution_desc: '값별 평점 수, 모두 {total}개',
  minutes_ago: '{n}분 전', hours_ago: '{n}시간 전', seconds_ago: '{n}초 전',
  field_errors: '표시된 항목을 확인해 주세요.',
  err_network: '서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도해 주세요.',
  err_wrong_credentials: '사용자 이름, 이메일 또는 비밀번호가 맞지 않습니다.',
  err_session_expired: '로그인이 끝났습니다. 다시 로그인해 주세요.',
  err_username_taken: '이미 쓰고 있는 사용자 이름입니다.', err_email_taken: '이미 가입된 이메일 주소입니다.',
  err_forbidden: '이 작업을 할 권한이 없습니다.', err_not_found: '찾을 수 없습니다 (삭제되었을 수 있습니다).',
  err_too_many_requests: '시도가 너무 많습니다. 1분 뒤에 다시 해 주세요.', err_csrf_failed: '페이지가 오래되었습니다. 새로 고친 뒤 다시 해 주세요.',
  err_out_of_stock: '재고가 부족합니다.', err_empty_cart: '장바구니가 비어 있습니다.', err_not_for_sale: '장바구니에 더는 판매하지 않는 영화가 있습니다.',
  err_order_not_cancellable: '이 주문은 더 이상 취소할 수 없습니다.', err_service_unavailable: '서비스가 준비 중이거나 바쁩니다. 잠시 뒤 다시 해 주세요.',
  err_validation_failed: '표시된 항목을 확인해 주세요.', err_invalid_query: '주소에 잘못된 값이 있습니다.',
  err_idempotency_key_in_use: '이 주문은 이미 처리 중입니다.', err_generic: '서버에 문제가 생겼습니다. 다시 시도해 주세요.',
  fe_length: '{min}–{max}자로 입력해 주세요.', fe_at_least: '{n}자 이상 입력해 주세요.', fe_at_most: '{n}자 이하로 입력해 주세요.',
  fe_username_chars: '글자, 숫자, _ . - 만 쓸 수 있습니다.', fe_username_start: '글자나 숫자로 시작해야 합니다.',
  fe_email: '올바른 이메일 주소가 아닙니다.', fe_control: '보이지 않는 제어 문자를 지워 주세요.',
  fe_between: '{min}부터 {max}까지의 숫자를 입력해 주세요.', fe_year_order: '시작 연도가 끝 연도보다 늦을 수 없습니다.',
  fe_unknown_genre: '알 수 없는 장르입니다.', fe_current_password: '현재 비밀번호가 맞지 않습니다.', fe_needs_current: '현재 비밀번호를 입력해 주세요.',
  fe_invalid: '이 항목을 확인해 주세요.',
};

/** The catalogue's genre names (stored in English) in Korean. */
const GENRES_KO = {
  Action: '액션', Adventure: '모험', Animation: '애니메이션', Biography: '전기', Comedy: '코미디',
  Crime: '범죄', Documentary: '다큐멘터리', Drama: '드라마', Family: '가족', Fantasy: '판타지',
  History: '역사', Horror: '공포', Music: '음악', Mystery: '미스터리', Romance: '로맨스',
  'Science Fiction': '공상 과학', Sports: '스포츠', Thriller: '스릴러', War: '전쟁', Western: '서부극',
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

/**
 * Like `t`, but returns a list of strings and nodes, so a placeholder can be
 * an element: "Because you liked <span translate=no>Alien</span>" keeps the
 * title marked as catalogue content inside a translated sentence.
 */
export function tNodes(key, vars = {}) {
  const text = dictionaries[current][key] ?? en[key] ?? key;
  return text.split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part);
    return name && name[1] in vars ? vars[name[1]] : part;
  });
}

/** "1 rating" / "2 ratings": the plural rule of the active language picks the key. */
export function tCount(key, n) {
  const rule = new Intl.PluralRules(current).select(n);
  return t(`${key}_${rule === 'one' ? 'one' : 'other'}`, { n: number(n) });
}

/** A genre's name in the active language (unknown names are shown as stored). */
export function genreName(name) {
  return current === 'ko' ? (GENRES_KO[name] ?? name) : name;
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

/** Error codes whose text is the same whatever the request was. */
const CODE_KEYS = {
  network: 'err_network', username_taken: 'err_username_taken', email_taken: 'err_email_taken',
  forbidden: 'err_forbidden', not_found: 'err_not_found', too_many_requests: 'err_too_many_requests',
  csrf_failed: 'err_csrf_failed', out_of_stock: 'err_out_of_stock', empty_cart: 'err_empty_cart',
  not_for_sale: 'err_not_for_sale', order_not_cancellable: 'err_order_not_cancellable',
  service_unavailable: 'err_service_unavailable', validation_failed: 'err_validation_failed',
  invalid_query: 'err_invalid_query', idempotency_key_in_use: 'err_idempotency_key_in_use',
  unauthorized: 'err_session_expired',
};

/** What to tell the person about an API error, in the active language. */
export function errorText(error) {
  const key = error && CODE_KEYS[error.code];
  return t(key || 'err_generic');
}

/**
 * One of the API's field messages (`details` of a `validation_failed`
 * error) in the active language. The API's messages are English sentences
 * with a fixed shape, so each shape maps to a translated one; anything not
 * recognised gets a general "check this field" rather than English.
 */
export function fieldMessage(field, message) {
  const text = String(message);
  const rules = [
    [/^must be (\d+) to (\d+) characters/, (m) => t('fe_length', { min: m[1], max: m[2] })],
    [/^must be at least (\d+) characters/, (m) => t('fe_at_least', { n: m[1] })],
    [/^must be at most (\d+) characters/, (m) => t('fe_at_most', { n: m[1] })],
    [/^may contain only letters/, () => t('fe_username_chars')],
    [/^must start with a letter or digit/, () => t('fe_username_start')],
    [/^is not a valid email address/, () => t('fe_email')],
    [/^must not contain control characters/, () => t('fe_control')],
    [/^must be between (-?\d+) and (\d+)/, (m) => t('fe_between', { min: m[1], max: m[2] })],
    [/^must not be after year_to/, () => t('fe_year_order')],
    [/^unknown genre/, () => t('fe_unknown_genre')],
    [/^is incorrect/, () => t('fe_current_password')],
    [/^is required/, () => t('fe_needs_current')],
  ];
  for (const [pattern, translate] of rules) {
    const match = pattern.exec(text);
    if (match) return translate(match);
  }
  if (current === 'en') return text.charAt(0).toUpperCase() + text.slice(1);
  return t('fe_invalid');
}
