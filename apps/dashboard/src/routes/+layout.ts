// The browser talks to the platform directly (queries, mutations and subscriptions), so pages
// render in the browser only; the server's part is the layout's `load` (configuration).
export const ssr = false;
export const prerender = false;
