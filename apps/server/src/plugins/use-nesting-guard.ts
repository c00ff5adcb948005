import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * graphql-js parses recursively and overflows the stack at about 1,500 nested braces, before any
 * depth rule could see the document: refuse deep nesting from the text itself, before parsing.
 * The limit is 4 × GRAPHQL_MAX_DEPTH braces and brackets (at least 64).
 */
export function useNestingGuard(maxDepth: number, production: boolean): Plugin {
  const limit = Math.max(64, 4 * maxDepth);
  return {
    onParse({ params }) {
      const text = typeof params.source === 'string' ? params.source : params.source.body;
      if (maxNesting(text, limit) <= limit) return;
      throw new GraphQLError(
        production
          ? 'Document nesting limit exceeded (GRAPHQL_MAX_DEPTH)'
          : `Document nesting limit of ${limit} braces and brackets exceeded (4 × GRAPHQL_MAX_DEPTH)`,
        { extensions: { code: 'QUERY_TOO_COMPLEX' } },
      );
    },
  };
}

/**
 * Deepest nesting of `{` and `[` in a GraphQL document, skipping strings, block strings and
 * comments; stops counting once past `stopAbove` (the answer is then just "too deep").
 */
export function maxNesting(text: string, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // { [
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d) {
      // } ]
      depth = Math.max(0, depth - 1);
    } else if (c === 0x23) {
      // # comment to the end of the line
      while (i < text.length && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22) {
      // "string" or """block string"""
      if (text.startsWith('"""', i)) {
        // Inside a block string only \""" escapes the delimiter.
        i += 3;
        while (i < text.length && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < text.length && text.charCodeAt(i) !== 0x22 && text.charCodeAt(i) !== 0x0a) {
          if (text.charCodeAt(i) === 0x5c) i++;
          i++;
        }
      }
    }
  }
  return deepest;
}
