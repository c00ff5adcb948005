import { ForestArtifactError } from './errors.ts';
import { categoryCount, type ForestModel } from './model.ts';
import type { ForestParams } from './options.ts';

/**
 * Model artifact, format version 2. All numbers little-endian, read and written through a
 * DataView, so alignment of the bytes (a Node Buffer from Postgres) does not matter.
 *
 *   bytes 0..7    magic "AMSFORST"
 *   bytes 8..11   uint32 format version
 *   bytes 12..15  uint32 header length H
 *   next H bytes  UTF-8 JSON header: counts, the byte width of each packed array, params, the
 *                 categorical features and their category counts C_f
 *   float64 featureImportances[nFeatures]
 *   uint32  thresholdCount[nFeatures]      distinct split thresholds per feature
 *   float64 thresholds[sum of the above]   per feature, strictly increasing (+∞ allowed last:
 *                                          "every present value left, missing right")
 *   uint32  treeNodeCount[nTrees]
 *   uintW   nodeCode[nNodes]               0 = leaf, f + 1 = split on feature f
 *   uintW   thresholdIndex[numeric splits] into the split feature's thresholds
 *   uintW   leftOffset[nSplits]            left child index - own index (>= 1)
 *   uintW   leafClassWeights[nLeaves × nClasses]
 *   bits    missingLeft[nSplits]           1 = missing values go left; ceil(nSplits / 8) bytes
 *   bits    categorySeen[C_f]              per categorical feature: codes seen in training
 *   bits    categoryLeft[C_f]              per categorical split: codes going left (codes >= C_f
 *                                          follow the missing direction)
 *
 * Bit sets are packed LSB first, each padded to a whole byte. W is 1, 2 or 4 bytes per array,
 * the smallest that fits (in the header's `widths`). Training thresholds are histogram bin
 * edges, so a split costs a few bytes instead of 16. The bytes depend only on the model, so the
 * same forest always serializes identically.
 *
 * Format version 1 (still read) is version 2 without the three bit-set sections and without
 * categorical features: every split is numeric and missing values (NaN) go right, as
 * `NaN <= threshold` is false.
 */
export const ARTIFACT_MAGIC = 'AMSFORST';
export const ARTIFACT_FORMAT_VERSION = 2;

interface ArtifactHeader {
  nFeatures: number;
  nClasses: number;
  nTrees: number;
  nNodes: number;
  nLeaves: number;
  nThresholds: number;
  widths: { nodeCode: number; thresholdIndex: number; leftOffset: number; leafClassWeights: number };
  params: ForestParams;
  /** Since version 2: categorical features, ascending, and the category count C_f of each. */
  categoricalFeatures?: number[];
  categoryCounts?: number[];
  /** Since version 2: the number of categorical splits and the bytes of their bit sets. */
  nCategoricalSplits?: number;
  categoryLeftBytes?: number;
}

/** A header with the version-2 fields filled in (empty for version 1). */
type FullHeader = Required<ArtifactHeader> & { version: number };

const PREFIX_BYTES = 16;

function widthFor(maxValue: number): number {
  return maxValue <= 0xff ? 1 : maxValue <= 0xffff ? 2 : 4;
}

class ByteWriter {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  at = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  float64(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++, this.at += 8) this.view.setFloat64(this.at, values[i]!, true);
  }
  uint(values: ArrayLike<number>, width: number): void {
    for (let i = 0; i < values.length; i++, this.at += width) {
      const v = values[i]!;
      if (width === 1) this.view.setUint8(this.at, v);
      else if (width === 2) this.view.setUint16(this.at, v, true);
      else this.view.setUint32(this.at, v, true);
    }
  }
  /** `n` bits, bit i = `bit(i)`, LSB first, padded to a whole byte. */
  bits(n: number, bit: (i: number) => boolean): void {
    for (let i = 0; i < n; i++) if (bit(i)) this.bytes[this.at + (i >>> 3)]! |= 1 << (i & 7);
    this.at += Math.ceil(n / 8);
  }
}

function hasBit(words: Uint32Array, offset: number, c: number): boolean {
  return ((words[offset + (c >>> 5)]! >>> (c & 31)) & 1) === 1;
}

/** The parts of a model the encoder writes, in node order. */
interface EncodedNodes {
  tables: Float64Array[];
  nodeCode: Uint32Array;
  thresholdIndex: number[];
  leftOffset: number[];
  /** Node index of every split, in node order. */
  splits: number[];
  /** Node index of every categorical split, in node order. */
  categoricalSplits: number[];
}

function encodeNodes(model: ForestModel): EncodedNodes {
  const { nFeatures, nodeFeature, nodeThreshold, nodeLeft, featureCategorical } = model;
  const nNodes = nodeFeature.length;
  // Per numeric feature, the distinct thresholds its splits use, ascending.
  const perFeature: number[][] = Array.from({ length: nFeatures }, () => []);
  for (let i = 0; i < nNodes; i++) {
    const f = nodeFeature[i]!;
    if (f >= 0 && featureCategorical[f] === 0) perFeature[f]!.push(nodeThreshold[i]!);
  }
  const tables = perFeature.map((values) => Float64Array.from(new Set(values)).sort());
  const out: EncodedNodes = {
    tables,
    nodeCode: new Uint32Array(nNodes),
    thresholdIndex: [],
    leftOffset: [],
    splits: [],
    categoricalSplits: [],
  };
  let nodeInTree = 0;
  let tree = 0;
  for (let i = 0; i < nNodes; i++) {
    const f = nodeFeature[i]!;
    out.nodeCode[i] = f + 1;
    if (f >= 0) {
      out.splits.push(i);
      out.leftOffset.push(nodeLeft[i]! - nodeInTree);
      if (featureCategorical[f] === 1) out.categoricalSplits.push(i);
      else out.thresholdIndex.push(binarySearch(tables[f]!, nodeThreshold[i]!));
    }
    if (++nodeInTree === model.treeNodeCount[tree]) {
      nodeInTree = 0;
      tree++;
    }
  }
  return out;
}

function buildHeader(model: ForestModel, nodes: EncodedNodes): ArtifactHeader {
  const { nFeatures, nClasses, leafClassWeights } = model;
  const categoricalFeatures: number[] = [];
  for (let f = 0; f < nFeatures; f++) if (model.featureCategorical[f] === 1) categoricalFeatures.push(f);
  const counts = Array.from({ length: nFeatures }, (_, f) => categoryCount(model, f));
  let categoryLeftBytes = 0;
  for (const i of nodes.categoricalSplits) categoryLeftBytes += Math.ceil(counts[model.nodeFeature[i]!]! / 8);
  return {
    nFeatures,
    nClasses,
    nTrees: model.treeNodeCount.length,
    nNodes: nodes.nodeCode.length,
    nLeaves: leafClassWeights.length / nClasses,
    nThresholds: nodes.tables.reduce((n, t) => n + t.length, 0),
    widths: {
      nodeCode: widthFor(nFeatures),
      thresholdIndex: widthFor(Math.max(0, ...nodes.tables.map((t) => t.length - 1))),
      leftOffset: widthFor(nodes.leftOffset.reduce((a, b) => Math.max(a, b), 0)),
      leafClassWeights: widthFor(leafClassWeights.reduce((a, b) => Math.max(a, b), 0)),
    },
    params: model.params,
    categoricalFeatures,
    categoryCounts: categoricalFeatures.map((f) => counts[f]!),
    nCategoricalSplits: nodes.categoricalSplits.length,
    categoryLeftBytes,
  };
}

export function encodeForest(model: ForestModel): Uint8Array {
  const nodes = encodeNodes(model);
  const header = buildHeader(model, nodes);
  const full = withDefaults(header, ARTIFACT_FORMAT_VERSION);
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const writer = new ByteWriter(PREFIX_BYTES + headerBytes.length + bodyLength(full));
  for (let i = 0; i < ARTIFACT_MAGIC.length; i++) writer.bytes[i] = ARTIFACT_MAGIC.charCodeAt(i);
  writer.view.setUint32(8, ARTIFACT_FORMAT_VERSION, true);
  writer.view.setUint32(12, headerBytes.length, true);
  writer.bytes.set(headerBytes, PREFIX_BYTES);
  writer.at = PREFIX_BYTES + headerBytes.length;
  writer.float64(model.featureImportances);
  writer.uint(
    nodes.tables.map((t) => t.length),
    4,
  );
  for (const table of nodes.tables) writer.float64(table);
  writer.uint(model.treeNodeCount, 4);
  writer.uint(nodes.nodeCode, header.widths.nodeCode);
  writer.uint(nodes.thresholdIndex, header.widths.thresholdIndex);
  writer.uint(nodes.leftOffset, header.widths.leftOffset);
  writer.uint(model.leafClassWeights, header.widths.leafClassWeights);
  writer.bits(nodes.splits.length, (s) => model.nodeMissingLeft[nodes.splits[s]!] === 1);
  full.categoricalFeatures.forEach((f, j) => {
    writer.bits(full.categoryCounts[j]!, (c) => hasBit(model.categorySeen, 8 * f, c));
  });
  const countOf = new Map(full.categoricalFeatures.map((f, j) => [f, full.categoryCounts[j]!]));
  for (const i of nodes.categoricalSplits) {
    const slot = model.nodeCategorySlot[i]!;
    writer.bits(countOf.get(model.nodeFeature[i]!)!, (c) => hasBit(model.categoryBits, 8 * slot, c));
  }
  return writer.bytes;
}

function binarySearch(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function withDefaults(h: ArtifactHeader, version: number): FullHeader {
  return {
    ...h,
    version,
    categoricalFeatures: h.categoricalFeatures ?? [],
    categoryCounts: h.categoryCounts ?? [],
    nCategoricalSplits: h.nCategoricalSplits ?? 0,
    categoryLeftBytes: h.categoryLeftBytes ?? 0,
  };
}

function bodyLength(h: FullHeader): number {
  const nSplits = h.nNodes - h.nLeaves;
  const v1 =
    8 * h.nFeatures +
    4 * h.nFeatures +
    8 * h.nThresholds +
    4 * h.nTrees +
    h.widths.nodeCode * h.nNodes +
    h.widths.thresholdIndex * (nSplits - h.nCategoricalSplits) +
    h.widths.leftOffset * nSplits +
    h.widths.leafClassWeights * h.nLeaves * h.nClasses;
  if (h.version === 1) return v1;
  const seenBytes = h.categoryCounts.reduce((n, c) => n + Math.ceil(c / 8), 0);
  return v1 + Math.ceil(nSplits / 8) + seenBytes + h.categoryLeftBytes;
}

function fail(message: string): never {
  throw new ForestArtifactError(`cannot load forest artifact: ${message}`);
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= 0x7fffffff;
}

function isWidth(value: unknown): boolean {
  return value === 1 || value === 2 || value === 4;
}

function readPrefix(bytes: Uint8Array, view: DataView): { version: number; parsed: unknown } {
  if (bytes.length < PREFIX_BYTES) fail(`only ${bytes.length} bytes, too short to be a forest artifact`);
  const magic = String.fromCharCode(...bytes.subarray(0, ARTIFACT_MAGIC.length));
  if (magic !== ARTIFACT_MAGIC) {
    fail(
      `it does not start with the magic "${ARTIFACT_MAGIC}" (found ${JSON.stringify(magic)}), ` +
        'so it is not a forest serialized by @automl-stream/ml',
    );
  }
  const version = view.getUint32(8, true);
  if (version !== 1 && version !== ARTIFACT_FORMAT_VERSION) {
    fail(
      `format version ${version} is not supported (this build reads versions 1 to ${ARTIFACT_FORMAT_VERSION}); ` +
        'retrain the model or load it with the build that wrote it',
    );
  }
  const headerLength = view.getUint32(12, true);
  if (PREFIX_BYTES + headerLength > bytes.length)
    fail('the header runs past the end of the bytes (truncated?)');
  try {
    const text = new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength));
    return { version, parsed: JSON.parse(text) };
  } catch {
    fail('the header is not valid JSON');
  }
}

function readHeader(bytes: Uint8Array, view: DataView): FullHeader {
  const { version, parsed } = readPrefix(bytes, view);
  const h = parsed as Partial<ArtifactHeader> | null;
  const w = h?.widths;
  if (
    h === null ||
    typeof h !== 'object' ||
    !isCount(h.nFeatures, 1) ||
    !isCount(h.nClasses, 2) ||
    !isCount(h.nTrees, 1) ||
    !isCount(h.nNodes, 1) ||
    !isCount(h.nLeaves, 1) ||
    !isCount(h.nThresholds, 0) ||
    h.nLeaves > h.nNodes ||
    typeof w !== 'object' ||
    w === null ||
    !isWidth(w.nodeCode) ||
    !isWidth(w.thresholdIndex) ||
    !isWidth(w.leftOffset) ||
    !isWidth(w.leafClassWeights) ||
    typeof h.params !== 'object' ||
    h.params === null
  ) {
    fail('its header lacks valid counts, widths or params');
  }
  const full = withDefaults(h as ArtifactHeader, version);
  if (version > 1) checkCategoricalHeader(full);
  return full;
}

function checkCategoricalHeader(h: FullHeader): void {
  const { categoricalFeatures: features, categoryCounts: counts } = h;
  const ok =
    Array.isArray(features) &&
    Array.isArray(counts) &&
    features.length === counts.length &&
    features.every((f, j) => isCount(f, 0) && f < h.nFeatures && (j === 0 || f > features[j - 1]!)) &&
    counts.every((c) => isCount(c, 0) && c <= 255) &&
    isCount(h.nCategoricalSplits, 0) &&
    h.nCategoricalSplits <= h.nNodes - h.nLeaves &&
    isCount(h.categoryLeftBytes, 0);
  if (!ok) fail('its header lacks valid categorical features, category counts or categorical split counts');
}

class ByteReader {
  at: number;
  constructor(
    private readonly view: DataView,
    start: number,
  ) {
    this.at = start;
  }
  float64(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++, this.at += 8) out[i] = this.view.getFloat64(this.at, true);
    return out;
  }
  uint(n: number, width: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++, this.at += width) {
      out[i] =
        width === 1
          ? this.view.getUint8(this.at)
          : width === 2
            ? this.view.getUint16(this.at, true)
            : this.view.getUint32(this.at, true);
    }
    return out;
  }
  /** `n` packed bits as 0/1 values. */
  bits(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.view.getUint8(this.at + (i >>> 3)) >>> (i & 7)) & 1;
    this.at += Math.ceil(n / 8);
    return out;
  }
}

/** The per-feature threshold tables, checked strictly increasing (finite; +∞ last since version 2). */
function readThresholdTables(reader: ByteReader, h: FullHeader): Float64Array[] {
  const thresholdCount = reader.uint(h.nFeatures, 4);
  if (thresholdCount.reduce((a, b) => a + b, 0) !== h.nThresholds) fail('threshold counts do not add up');
  const tables: Float64Array[] = [];
  for (let f = 0; f < h.nFeatures; f++) {
    const table = reader.float64(thresholdCount[f]!);
    for (let i = 0; i < table.length; i++) {
      const v = table[i]!;
      const allowed = Number.isFinite(v) || (h.version > 1 && v === Number.POSITIVE_INFINITY);
      if (!allowed || (i > 0 && !(v > table[i - 1]!))) {
        fail(`the thresholds of feature ${f} are not finite and strictly increasing`);
      }
    }
    tables.push(table);
  }
  return tables;
}

/** The raw node arrays of the body, in file order. */
interface RawNodes {
  treeNodeCount: Int32Array;
  nodeCode: Uint32Array;
  thresholdIndex: Uint32Array;
  leftOffset: Uint32Array;
  leafClassWeights: Uint32Array;
}

function readRawNodes(reader: ByteReader, h: FullHeader): RawNodes {
  const nSplits = h.nNodes - h.nLeaves;
  const treeNodeCount = Int32Array.from(reader.uint(h.nTrees, 4));
  if (treeNodeCount.reduce((a, b) => a + b, 0) !== h.nNodes) fail('tree node counts do not add up to nNodes');
  return {
    treeNodeCount,
    nodeCode: reader.uint(h.nNodes, h.widths.nodeCode),
    thresholdIndex: reader.uint(nSplits - h.nCategoricalSplits, h.widths.thresholdIndex),
    leftOffset: reader.uint(nSplits, h.widths.leftOffset),
    leafClassWeights: reader.uint(h.nLeaves * h.nClasses, h.widths.leafClassWeights),
  };
}

/** An empty model of the header's shape: version-1 defaults (numeric, NaN right) everywhere. */
function emptyModel(h: FullHeader, featureImportances: Float64Array, raw: RawNodes): ForestModel {
  const featureCategorical = new Uint8Array(h.nFeatures);
  for (const f of h.categoricalFeatures) featureCategorical[f] = 1;
  return {
    nFeatures: h.nFeatures,
    nClasses: h.nClasses,
    params: h.params,
    featureImportances,
    treeNodeCount: raw.treeNodeCount,
    nodeFeature: new Int32Array(h.nNodes),
    nodeThreshold: new Float64Array(h.nNodes),
    nodeLeft: new Int32Array(h.nNodes),
    nodeMissingLeft: new Uint8Array(h.nNodes),
    nodeCategorySlot: new Int32Array(h.nNodes).fill(-1),
    categoryBits: new Uint32Array(8 * h.nCategoricalSplits),
    featureCategorical,
    categorySeen: new Uint32Array(8 * h.nFeatures),
    leafClassWeights: raw.leafClassWeights,
  };
}

/**
 * Fills the model's nodes from the raw arrays, checking every index, so a corrupted artifact
 * fails here instead of walking out of bounds or in circles later. Categorical splits get a
 * slot each, in node order; their bit sets are read afterwards.
 */
function decodeNodes(model: ForestModel, raw: RawNodes, tables: Float64Array[], h: FullHeader): void {
  const { nFeatures, nClasses } = h;
  let split = 0;
  let numeric = 0;
  let slot = 0;
  let leaf = 0;
  let base = 0;
  for (let t = 0; t < h.nTrees; t++) {
    const count = raw.treeNodeCount[t]!;
    if (count < 1) fail(`tree ${t} has no nodes`);
    for (let i = 0; i < count; i++) {
      const node = base + i;
      const code = raw.nodeCode[node]!;
      if (code > nFeatures) fail(`node ${node} splits on feature ${code - 1}, but there are ${nFeatures}`);
      if (code === 0) {
        if (leaf >= h.nLeaves) fail('there are more leaves than the header says');
        let total = 0;
        for (let k = 0; k < nClasses; k++) total += raw.leafClassWeights[leaf * nClasses + k]!;
        if (total === 0) fail(`leaf ${leaf} has no class weight`);
        model.nodeFeature[node] = -1;
        model.nodeLeft[node] = -1;
        leaf++;
        continue;
      }
      if (split >= h.nNodes - h.nLeaves) fail('there are more split nodes than the header says');
      const f = code - 1;
      const left = i + raw.leftOffset[split++]!;
      // Children come after their parent and both lie inside the tree: every walk ends.
      if (left <= i || left + 1 >= count) fail(`node ${node}'s children lie outside its tree`);
      model.nodeFeature[node] = f;
      model.nodeLeft[node] = left;
      if (model.featureCategorical[f] === 1) {
        if (slot >= h.nCategoricalSplits) fail('there are more categorical splits than the header says');
        model.nodeCategorySlot[node] = slot++;
        continue;
      }
      const ti = raw.thresholdIndex[numeric++]!;
      if (ti >= tables[f]!.length) fail(`node ${node} refers to a missing threshold`);
      model.nodeThreshold[node] = tables[f]![ti]!;
    }
    base += count;
  }
  if (leaf !== h.nLeaves) fail('there are fewer leaves than the header says');
  if (slot !== h.nCategoricalSplits) fail('there are fewer categorical splits than the header says');
}

/** Reads the version-2 bit sets: missing directions, categories seen, categorical splits' left sets. */
function readBitSets(reader: ByteReader, model: ForestModel, h: FullHeader): void {
  const splits: number[] = [];
  for (let i = 0; i < h.nNodes; i++) if (model.nodeFeature[i]! >= 0) splits.push(i);
  const missingLeft = reader.bits(splits.length);
  splits.forEach((node, s) => {
    model.nodeMissingLeft[node] = missingLeft[s]!;
  });
  const countOf = new Map<number, number>();
  h.categoricalFeatures.forEach((f, j) => {
    const count = h.categoryCounts[j]!;
    countOf.set(f, count);
    const seen = reader.bits(count);
    for (let c = 0; c < count; c++) if (seen[c]) model.categorySeen[8 * f + (c >>> 5)]! |= 1 << (c & 31);
    if (count > 0 && !seen[count - 1]) fail(`the category count of feature ${f} is not 1 + its largest code`);
  });
  let leftBytes = 0;
  for (const node of splits) {
    if (model.nodeCategorySlot[node]! >= 0)
      leftBytes += Math.ceil(countOf.get(model.nodeFeature[node]!)! / 8);
  }
  if (leftBytes !== h.categoryLeftBytes) fail('the categorical splits do not fill their section');
  for (const node of splits) {
    const slot = model.nodeCategorySlot[node]!;
    if (slot < 0) continue;
    const count = countOf.get(model.nodeFeature[node]!)!;
    const left = reader.bits(count);
    // Codes past the feature's categories follow the missing direction, as in training.
    const words = model.categoryBits;
    for (let c = 0; c < 256; c++) {
      const bit = c < count ? left[c]! : model.nodeMissingLeft[node]!;
      if (bit) words[8 * slot + (c >>> 5)]! |= 1 << (c & 31);
    }
  }
}

function checkWeightsAndImportances(model: ForestModel): void {
  for (const v of model.featureImportances) {
    if (!(v >= 0 && v <= 1)) fail(`a feature importance is ${v}, outside [0, 1]`);
  }
  // Written since classWeight existed; older artifacts have neither field (no class weights).
  const classWeights: unknown = model.params.classWeights ?? null;
  if (
    classWeights !== null &&
    !(
      Array.isArray(classWeights) &&
      classWeights.length === model.nClasses &&
      classWeights.every((w) => typeof w === 'number' && Number.isFinite(w) && w > 0)
    )
  ) {
    fail(`its class weights are not ${model.nClasses} positive numbers`);
  }
}

/**
 * Parses and validates an artifact written by {@link encodeForest} (format 2) or by the format-1
 * encoder. Every index is checked, so a corrupted artifact fails here instead of walking out of
 * bounds or in circles later.
 */
export function decodeForest(bytes: Uint8Array): ForestModel {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array (a Node Buffer is fine)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = readHeader(bytes, view);
  const start = PREFIX_BYTES + view.getUint32(12, true);
  const expected = start + bodyLength(h);
  if (bytes.length !== expected) {
    fail(`it has ${bytes.length} bytes but its header describes ${expected} (truncated or corrupted)`);
  }
  const reader = new ByteReader(view, start);
  const featureImportances = reader.float64(h.nFeatures);
  const tables = readThresholdTables(reader, h);
  const raw = readRawNodes(reader, h);
  const model = emptyModel(h, featureImportances, raw);
  decodeNodes(model, raw, tables, h);
  if (h.version > 1) readBitSets(reader, model, h);
  checkWeightsAndImportances(model);
  return model;
}

/** The sizes an artifact declares, read from its header alone (no body decoded). */
export interface ArtifactShape {
  nFeatures: number;
  nClasses: number;
  nTrees: number;
  nNodes: number;
  nLeaves: number;
  /** Splits on a categorical feature (0 in format-1 artifacts). */
  nCategoricalSplits: number;
}

/**
 * The shape of a serialized forest from its header, so a caller can tell what loading it would
 * cost before loading it. @throws ForestArtifactError like {@link decodeForest} for a bad header.
 */
export function readArtifactShape(bytes: Uint8Array): ArtifactShape {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array (a Node Buffer is fine)');
  const h = readHeader(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return {
    nFeatures: h.nFeatures,
    nClasses: h.nClasses,
    nTrees: h.nTrees,
    nNodes: h.nNodes,
    nLeaves: h.nLeaves,
    nCategoricalSplits: h.nCategoricalSplits,
  };
}
