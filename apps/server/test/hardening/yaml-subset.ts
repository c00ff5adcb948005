/**
 * A reader for the YAML our deployment files use, for tests only (Node has no YAML parser and the
 * project takes no dependency for one). It covers: `---` documents, comments, block mappings and
 * sequences (including `- key: value` items), single-line flow collections (`{ a: b }`,
 * `[x, "y"]`), plain / single- / double-quoted scalars resolved as YAML 1.1 does (PyYAML: null,
 * booleans including on/off/yes/no, ints, floats), anchors, aliases and merge keys (`<<: *x`).
 * Anything else (block scalars `|`/`>`, multi-line flows, tags, complex keys) throws, naming the
 * line, so a file that outgrows the subset fails loudly instead of being misread. When PyYAML's
 * `yq` is installed, the deployment test checks this reader against it on every file.
 */

type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

interface Line {
  indent: number;
  text: string;
  number: number;
}

class YamlSubsetError extends Error {
  constructor(message: string, line?: Line) {
    super(
      line ? `yaml-subset, line ${line.number}: ${message} (in "${line.text}")` : `yaml-subset: ${message}`,
    );
  }
}

/** Strips a comment: `#` at the start or after whitespace, outside quotes. */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

/** YAML 1.1 resolution of a plain scalar, as PyYAML does it. */
function resolvePlain(text: string): Value {
  if (text === '' || text === '~' || /^(null|Null|NULL)$/.test(text)) return null;
  if (/^(yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text)) return true;
  if (/^(no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(text)) return false;
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?([0-9][0-9]*)?\.[0-9]+([eE][-+][0-9]+)?$/.test(text)) return Number(text);
  return text;
}

function unquoteDouble(body: string): string {
  return body.replace(/\\(["\\/nt])/g, (_m, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
}

export function parseYamlSubset(source: string): Value[] {
  const documents: Line[][] = [[]];
  source.split(/\r?\n/).forEach((raw, index) => {
    if (/^---\s*$/.test(raw)) {
      documents.push([]);
      return;
    }
    if (/\t/.test(raw.match(/^\s*/)![0]))
      throw new YamlSubsetError(`tab in indentation at line ${index + 1}`);
    const text = stripComment(raw);
    if (text.trim() === '') return;
    const indent = text.length - text.trimStart().length;
    documents[documents.length - 1]!.push({ indent, text: text.trim(), number: index + 1 });
  });
  return documents.filter((lines) => lines.length > 0).map((lines) => new DocumentParser(lines).parse());
}

class DocumentParser {
  private position = 0;
  private anchors = new Map<string, Value>();
  constructor(private readonly lines: Line[]) {}

  parse(): Value {
    const value = this.block(this.lines[0]!.indent);
    if (this.position < this.lines.length)
      throw new YamlSubsetError('unexpected indentation', this.lines[this.position]);
    return value;
  }

  private peek(): Line | undefined {
    return this.lines[this.position];
  }

  private block(indent: number): Value {
    const line = this.peek()!;
    return line.text === '-' || line.text.startsWith('- ') ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): Value[] {
    const items: Value[] = [];
    for (
      let line = this.peek();
      line && line.indent === indent && (line.text === '-' || line.text.startsWith('- '));
      line = this.peek()
    ) {
      const rest = line.text === '-' ? '' : line.text.slice(2).trimStart();
      if (rest === '') {
        this.position++;
        const next = this.peek();
        items.push(next && next.indent > indent ? this.block(next.indent) : null);
      } else if (this.keyOf(rest) !== null && !rest.startsWith('{') && !rest.startsWith('[')) {
        // `- key: value`: a mapping whose first entry sits on the dash's line.
        const itemIndent = indent + (line.text.length - rest.length);
        this.lines[this.position] = { ...line, indent: itemIndent, text: rest };
        items.push(this.mapping(itemIndent));
      } else {
        this.position++;
        items.push(this.inline(rest, line, indent));
      }
    }
    return items;
  }

  private mapping(indent: number): { [key: string]: Value } {
    const explicit: { [key: string]: Value } = {};
    const merged: { [key: string]: Value }[] = [];
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (line.text.startsWith('- ')) throw new YamlSubsetError('sequence item inside a mapping', line);
      const split = this.keyOf(line.text);
      if (split === null) throw new YamlSubsetError('expected "key: value"', line);
      const [rawKey, rest] = split;
      const key = rawKey.startsWith('"')
        ? unquoteDouble(rawKey.slice(1, -1))
        : rawKey.startsWith("'")
          ? rawKey.slice(1, -1)
          : rawKey;
      this.position++;
      let value: Value;
      let anchor: string | null = null;
      let inline = rest;
      const anchorMatch = /^&([^\s]+)\s*(.*)$/.exec(inline);
      if (anchorMatch) {
        anchor = anchorMatch[1]!;
        inline = anchorMatch[2]!;
      }
      if (inline === '') {
        const next = this.peek();
        if (next && next.indent > indent) value = this.block(next.indent);
        else if (next && next.indent === indent && next.text.startsWith('- ')) value = this.sequence(indent);
        else value = null;
      } else {
        if (/^[|>]/.test(inline)) throw new YamlSubsetError('block scalars are not supported', line);
        value = this.inline(inline, line, indent);
      }
      if (anchor) this.anchors.set(anchor, value);
      if (key === '<<') {
        for (const source of Array.isArray(value) ? value : [value]) {
          if (!source || typeof source !== 'object' || Array.isArray(source))
            throw new YamlSubsetError('merge of a non-mapping', line);
          merged.push(source);
        }
      } else {
        if (key in explicit) throw new YamlSubsetError(`duplicate key "${key}"`, line);
        explicit[key] = value;
      }
    }
    return Object.assign({}, ...merged.reverse(), explicit) as { [key: string]: Value };
  }

  /** Splits `key: rest` (the colon outside quotes and brackets, followed by a space or the end). */
  private keyOf(text: string): [string, string] | null {
    let quote: string | null = null;
    let depth = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
      else if (c === ':' && depth === 0 && (i + 1 === text.length || text[i + 1] === ' ')) {
        return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
      }
    }
    return null;
  }

  /** A value written on one line: flow collection, alias, quoted or plain scalar. */
  private inline(text: string, line: Line, _indent: number): Value {
    const flow = new FlowParser(text, line, this.anchors);
    const value = flow.value();
    flow.end();
    return value;
  }
}

class FlowParser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly line: Line,
    private readonly anchors: Map<string, Value>,
  ) {}

  end() {
    this.space();
    if (this.i < this.text.length)
      throw new YamlSubsetError(`unexpected "${this.text.slice(this.i)}"`, this.line);
  }

  private space() {
    while (this.text[this.i] === ' ') this.i++;
  }

  value(inFlow = false): Value {
    this.space();
    const c = this.text[this.i];
    if (c === '{') return this.flowMapping();
    if (c === '[') return this.flowSequence();
    if (c === '*') {
      const name = /^\*([^\s,\]}]+)/.exec(this.text.slice(this.i))![1]!;
      this.i += name.length + 1;
      if (!this.anchors.has(name)) throw new YamlSubsetError(`unknown alias *${name}`, this.line);
      return this.anchors.get(name)!;
    }
    if (c === '&' || c === '!')
      throw new YamlSubsetError('anchors and tags inside a line are not supported', this.line);
    if (c === '"' || c === "'") return this.quoted();
    return this.plain(inFlow);
  }

  private quoted(): string {
    const quote = this.text[this.i]!;
    let out = '';
    for (this.i++; this.i < this.text.length; this.i++) {
      const c = this.text[this.i]!;
      if (quote === "'" && c === "'" && this.text[this.i + 1] === "'") {
        out += "'";
        this.i++;
      } else if (c === quote) {
        this.i++;
        return quote === '"' ? unquoteDouble(out) : out;
      } else if (quote === '"' && c === '\\') {
        out += c + this.text[++this.i];
      } else out += c;
    }
    throw new YamlSubsetError('unterminated string (multi-line scalars are not supported)', this.line);
  }

  private plain(inFlow: boolean): Value {
    const start = this.i;
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (inFlow && (c === ',' || c === ']' || c === '}')) break;
      if (inFlow && c === ':' && (this.text[this.i + 1] === ' ' || this.text[this.i + 1] === undefined))
        break;
      this.i++;
    }
    return resolvePlain(this.text.slice(start, this.i).trim());
  }

  private flowSequence(): Value[] {
    const items: Value[] = [];
    this.i++;
    for (;;) {
      this.space();
      if (this.text[this.i] === ']') {
        this.i++;
        return items;
      }
      items.push(this.value(true));
      this.space();
      if (this.text[this.i] === ',') this.i++;
      else if (this.text[this.i] !== ']')
        throw new YamlSubsetError('expected "," or "]" (multi-line flows are not supported)', this.line);
    }
  }

  private flowMapping(): { [key: string]: Value } {
    const explicit: { [key: string]: Value } = {};
    const merged: { [key: string]: Value }[] = [];
    this.i++;
    for (;;) {
      this.space();
      if (this.text[this.i] === '}') {
        this.i++;
        return Object.assign({}, ...merged.reverse(), explicit) as { [key: string]: Value };
      }
      const key = this.value(true);
      this.space();
      if (this.text[this.i] !== ':') throw new YamlSubsetError('expected ":" in a flow mapping', this.line);
      this.i++;
      const value = this.value(true);
      if (key === '<<') {
        if (!value || typeof value !== 'object' || Array.isArray(value))
          throw new YamlSubsetError('merge of a non-mapping', this.line);
        merged.push(value);
      } else explicit[String(key)] = value;
      this.space();
      if (this.text[this.i] === ',') this.i++;
      else if (this.text[this.i] !== '}')
        throw new YamlSubsetError('expected "," or "}" (multi-line flows are not supported)', this.line);
    }
  }
}
