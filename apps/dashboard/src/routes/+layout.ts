// Pages render in the browser only: they talk to the platform through the dashboard's server
// (its /graphql proxy, with the session's key), and the server hands them no data of its own.
export const ssr = false;
export const prerender = false;
