/**
 * Trusted documents: the proxy forwards the dashboard's own operations only (the `Dashboard*`
 * documents the SDK generates from `packages/sdk/src/documents/dashboard-*.graphql`), over HTTP
 * and over the WebSocket. A visitor of the read-only display, or a script holding someone's
 * session cookie, cannot run introspection or an operation of their choosing with the key the
 * server holds; people who need the whole API use it directly with their key.
 *
 * Apollo sends a document as it printed it after its cache added `__typename` to every selection
 * set, so documents are compared without `__typename` fields, printed by graphql-js.
 */
import * as generated from '@automl-stream/sdk/gql/graphql.ts';
import { type DocumentNode, Kind, parse, print, visit } from 'graphql';

/** Documents longer than this are not the dashboard's (its longest is a few kB). */
const MAX_DOCUMENT_CHARS = 20_000;
/** Verdicts remembered per document text (the pages send the same few texts again and again). */
const CACHE_SIZE = 256;

export const UNTRUSTED_MESSAGE =
  "the dashboard forwards its own operations only; use the platform's API with your API key for others";

/** The document as text without `__typename` fields, for comparison. */
export function canonical(document: DocumentNode): string {
  return print(
    visit(document, {
      Field: (node) => (node.name.value === '__typename' ? null : undefined),
    }),
  );
}

export class TrustedDocuments {
  private readonly allowed: Set<string>;
  private readonly verdicts = new Map<string, boolean>();

  constructor(documents: DocumentNode[]) {
    this.allowed = new Set(documents.map(canonical));
  }

  /** The dashboard's own documents, as the SDK generated them. */
  static dashboard(): TrustedDocuments {
    const documents = Object.entries(generated)
      .filter(([name]) => name.startsWith('Dashboard') && name.endsWith('Document'))
      .map(([, document]) => document as unknown as DocumentNode);
    return new TrustedDocuments(documents);
  }

  get size(): number {
    return this.allowed.size;
  }

  /** Whether `query` is one of the dashboard's documents (modulo `__typename` and formatting). */
  allows(query: unknown): boolean {
    if (typeof query !== 'string' || query.length > MAX_DOCUMENT_CHARS) return false;
    const known = this.verdicts.get(query);
    if (known !== undefined) return known;
    let verdict: boolean;
    try {
      const document = parse(query, { noLocation: true });
      verdict =
        document.definitions.every(
          (d) => d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION,
        ) && this.allowed.has(canonical(document));
    } catch {
      verdict = false;
    }
    // A full cache forgets its oldest verdict.
    if (this.verdicts.size >= CACHE_SIZE) {
      const oldest = this.verdicts.keys().next().value;
      if (oldest !== undefined) this.verdicts.delete(oldest);
    }
    this.verdicts.set(query, verdict);
    return verdict;
  }
}
