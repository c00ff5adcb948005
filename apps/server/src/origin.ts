/** Yoga's CORS options (the shape of @whatwg-node/server's CORSOptions). */
interface CorsOptions {
  origin: string[];
  methods: string[];
  allowedHeaders: string[];
  credentials: boolean;
  maxAge: number;
}

/** Headers a browser client may send cross-origin (when its origin is allowed). */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'accept', 'x-request-id'];

/**
 * Which web pages may call the API. Browsers mark their requests with `Origin`; programs (the SDK
 * on Node, the CLI, curl, the dashboard's server) send none and are not affected. A request from
 * a page on another origin is refused unless that origin is in CORS_ORIGINS: with authentication
 * off that is what stops any page a developer visits from driving the local server (form posts
 * and WebSockets need no CORS permission), and with it on it keeps keys pasted into pages from
 * working anywhere but where they are meant to.
 */
export class OriginPolicy {
  private readonly allowed: Set<string>;

  constructor(origins: string[], publicUrl?: string) {
    this.allowed = new Set(origins.map((o) => o.toLowerCase()));
    if (publicUrl) this.allowed.add(new URL(publicUrl).origin.toLowerCase());
  }

  /**
   * Null when the request may proceed: no Origin (not a browser), the server's own origin (GraphiQL
   * served here), or an allowed one. Otherwise the refusal's message.
   */
  refusal(origin: string | undefined, host: string | undefined): string | null {
    if (origin === undefined) return null;
    if (this.allowed.has(origin.toLowerCase())) return null;
    if (host && sameHost(origin, host)) return null;
    return `cross-origin request from ${origin.slice(0, 200)} refused: add the origin to CORS_ORIGINS`;
  }

  /** Yoga's CORS options for a request: headers only for allowed origins, never credentials. */
  cors = (request: Request): CorsOptions | false => {
    const origin = request.headers.get('origin');
    if (!origin || !this.allowed.has(origin.toLowerCase())) return false;
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: ALLOWED_HEADERS,
      credentials: false,
      maxAge: 600,
    };
  };
}

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
