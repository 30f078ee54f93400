/** A public channel: anyone may listen, signed in or not. */
export const NEWS_CHANNEL = 'consumer-news';
