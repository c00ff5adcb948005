import type { Plugin } from 'graphql-yoga';

/** Yoga answers a body it cannot read (text/plain, no content type) with a bare 415: say what to send. */
export function useMediaTypeHelp(): Plugin {
  return {
    onResponse({ request, response, setResponse }) {
      if (response.status !== 415 || response.body) return;
      const type = request.headers.get('content-type') ?? 'none';
      const message = `send the operation as JSON with Content-Type: application/json (got "${type}")`;
      setResponse(
        new Response(
          JSON.stringify({ errors: [{ message, extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] }),
          {
            status: 415,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          },
        ),
      );
    },
  };
}
