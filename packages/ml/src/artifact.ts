import { ForestArtifactError } from './errors.ts';
import type { ForestModel } from './model.ts';
import type { ForestParams } from './options.ts';

/**
 * Model artifact, format version 1. All numbers little-endian, read and written through a
 * DataView, so alignment of the bytes (a Node Buffer from Postgres) does not matter.
 *
 *   bytes 0..7    magic "AMSFORST"
 *   bytes 8..11   uint32 format version
 *   bytes 12..15  uint32 header length H
 *   next H bytes  UTF-8 JSON header: counts, the byte width of each packed array, params
 *   float64 featureImportances[nFeatures]
 *   uint32  thresholdCount[nFeatures]      distinct split thresholds per feature
 *   float64 thresholds[sum of the above]   per feature, strictly increasing
 *   uint32  treeNodeCount[nTrees]
 *   uintW   nodeCode[nNodes]               0 = leaf, f + 1 = split on feature f
 *   uintW   thresholdIndex[nSplits]        into the split feature's thresholds
 *   uintW   leftOffset[nSplits]            left child index - own index (>= 1)
 *   uintW   leafClassWeights[nLeaves × nClasses]
 *
 * W is 1, 2 or 4 bytes per array, the smallest that fits (in the header's `widths`). Training
 * thresholds are histogram bin edges, so a split costs a few bytes instead of 16. The bytes
 * depend only on the model, so the same forest always serializes identically.
 */
export const ARTIFACT_MAGIC = 'AMSFORST';
export const ARTIFACT_FORMAT_VERSION = 1;

interface ArtifactHeader {
  nFeatures: number;
  nClasses: number;
  nTrees: number;
  nNodes: number;
  nLeaves: number;
  nThresholds: number;
  widths: { nodeCode: number; thresholdIndex: number; leftOffset: number; leafClassWeights: number };
  params: ForestParams;
}

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
}

export function encodeForest(model: ForestModel): Uint8Array {
  const { nFeatures, nClasses, nodeFeature, nodeThreshold, nodeLeft, leafClassWeights } = model;
  const nNodes = nodeFeature.length;
  // Per feature, the distinct thresholds its splits use, ascending.
  const perFeature: number[][] = Array.from({ length: nFeatures }, () => []);
  for (let i = 0; i < nNodes; i++)
    if (nodeFeature[i]! >= 0) perFeature[nodeFeature[i]!]!.push(nodeThreshold[i]!);
  const tables = perFeature.map((values) => Float64Array.from(new Set(values)).sort());
  const nodeCode = new Uint32Array(nNodes);
  const thresholdIndex: number[] = [];
  const leftOffset: number[] = [];
  let nodeInTree = 0;
  let tree = 0;
  for (let i = 0; i < nNodes; i++) {
    const f = nodeFeature[i]!;
    nodeCode[i] = f + 1;
    if (f >= 0) {
      thresholdIndex.push(binarySearch(tables[f]!, nodeThreshold[i]!));
      leftOffset.push(nodeLeft[i]! - nodeInTree);
    }
    if (++nodeInTree === model.treeNodeCount[tree]) {
      nodeInTree = 0;
      tree++;
    }
  }
  const widths = {
    nodeCode: widthFor(nFeatures),
    thresholdIndex: widthFor(Math.max(0, ...tables.map((t) => t.length - 1))),
    leftOffset: widthFor(leftOffset.reduce((a, b) => Math.max(a, b), 0)),
    leafClassWeights: widthFor(leafClassWeights.reduce((a, b) => Math.max(a, b), 0)),
  };
  const nThresholds = tables.reduce((n, t) => n + t.length, 0);
  const header: ArtifactHeader = {
    nFeatures,
    nClasses,
    nTrees: model.treeNodeCount.length,
    nNodes,
    nLeaves: leafClassWeights.length / nClasses,
    nThresholds,
    widths,
    params: model.params,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const writer = new ByteWriter(PREFIX_BYTES + headerBytes.length + bodyLength(header));
  for (let i = 0; i < ARTIFACT_MAGIC.length; i++) writer.bytes[i] = ARTIFACT_MAGIC.charCodeAt(i);
  writer.view.setUint32(8, ARTIFACT_FORMAT_VERSION, true);
  writer.view.setUint32(12, headerBytes.length, true);
  writer.bytes.set(headerBytes, PREFIX_BYTES);
  writer.at = PREFIX_BYTES + headerBytes.length;
  writer.float64(model.featureImportances);
  writer.uint(
    tables.map((t) => t.length),
    4,
  );
  for (const table of tables) writer.float64(table);
  writer.uint(model.treeNodeCount, 4);
  writer.uint(nodeCode, widths.nodeCode);
  writer.uint(thresholdIndex, widths.thresholdIndex);
  writer.uint(leftOffset, widths.leftOffset);
  writer.uint(leafClassWeights, widths.leafClassWeights);
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

function bodyLength(h: ArtifactHeader): number {
  const nSplits = h.nNodes - h.nLeaves;
  return (
    8 * h.nFeatures +
    4 * h.nFeatures +
    8 * h.nThresholds +
    4 * h.nTrees +
    h.widths.nodeCode * h.nNodes +
    (h.widths.thresholdIndex + h.widths.leftOffset) * nSplits +
    h.widths.leafClassWeights * h.nLeaves * h.nClasses
  );
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

function readHeader(bytes: Uint8Array, view: DataView): ArtifactHeader {
  if (bytes.length < PREFIX_BYTES) fail(`only ${bytes.length} bytes, too short to be a forest artifact`);
  const magic = String.fromCharCode(...bytes.subarray(0, ARTIFACT_MAGIC.length));
  if (magic !== ARTIFACT_MAGIC) {
    fail(
      `it does not start with the magic "${ARTIFACT_MAGIC}" (found ${JSON.stringify(magic)}), ` +
        'so it is not a forest serialized by @automl-stream/ml',
    );
  }
  const version = view.getUint32(8, true);
  if (version !== ARTIFACT_FORMAT_VERSION) {
    fail(
      `format version ${version} is not supported (this build reads version ${ARTIFACT_FORMAT_VERSION}); ` +
        'retrain the model or load it with the build that wrote it',
    );
  }
  const headerLength = view.getUint32(12, true);
  if (PREFIX_BYTES + headerLength > bytes.length)
    fail('the header runs past the end of the bytes (truncated?)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch {
    fail('the header is not valid JSON');
  }
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
  return h as ArtifactHeader;
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
}

/**
 * Parses and validates an artifact written by {@link encodeForest}. Every index is checked, so a
 * corrupted artifact fails here instead of walking out of bounds or in circles later.
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
  const { nFeatures, nClasses, nTrees, nNodes, nLeaves } = h;
  const nSplits = nNodes - nLeaves;
  const reader = new ByteReader(view, start);
  const featureImportances = reader.float64(nFeatures);
  const thresholdCount = reader.uint(nFeatures, 4);
  if (thresholdCount.reduce((a, b) => a + b, 0) !== h.nThresholds) fail('threshold counts do not add up');
  const tables: Float64Array[] = [];
  for (let f = 0; f < nFeatures; f++) {
    const table = reader.float64(thresholdCount[f]!);
    for (let i = 0; i < table.length; i++) {
      if (!Number.isFinite(table[i]) || (i > 0 && !(table[i]! > table[i - 1]!))) {
        fail(`the thresholds of feature ${f} are not finite and strictly increasing`);
      }
    }
    tables.push(table);
  }
  const treeNodeCount = Int32Array.from(reader.uint(nTrees, 4));
  const nodeCode = reader.uint(nNodes, h.widths.nodeCode);
  const thresholdIndex = reader.uint(nSplits, h.widths.thresholdIndex);
  const leftOffset = reader.uint(nSplits, h.widths.leftOffset);
  const leafClassWeights = reader.uint(nLeaves * nClasses, h.widths.leafClassWeights);

  if (treeNodeCount.reduce((a, b) => a + b, 0) !== nNodes) fail('tree node counts do not add up to nNodes');
  const nodeFeature = new Int32Array(nNodes);
  const nodeThreshold = new Float64Array(nNodes);
  const nodeLeft = new Int32Array(nNodes);
  let split = 0;
  let leaf = 0;
  let base = 0;
  for (let t = 0; t < nTrees; t++) {
    const count = treeNodeCount[t]!;
    if (count < 1) fail(`tree ${t} has no nodes`);
    for (let i = 0; i < count; i++) {
      const node = base + i;
      const code = nodeCode[node]!;
      if (code > nFeatures) fail(`node ${node} splits on feature ${code - 1}, but there are ${nFeatures}`);
      if (code === 0) {
        if (leaf >= nLeaves) fail('there are more leaves than the header says');
        let total = 0;
        for (let k = 0; k < nClasses; k++) total += leafClassWeights[leaf * nClasses + k]!;
        if (total === 0) fail(`leaf ${leaf} has no class weight`);
        nodeFeature[node] = -1;
        nodeLeft[node] = -1;
        leaf++;
        continue;
      }
      if (split >= nSplits) fail('there are more split nodes than the header says');
      const f = code - 1;
      const left = i + leftOffset[split]!;
      // Children come after their parent and both lie inside the tree: every walk ends.
      if (left <= i || left + 1 >= count) fail(`node ${node}'s children lie outside its tree`);
      const ti = thresholdIndex[split]!;
      if (ti >= tables[f]!.length) fail(`node ${node} refers to a missing threshold`);
      nodeFeature[node] = f;
      nodeThreshold[node] = tables[f]![ti]!;
      nodeLeft[node] = left;
      split++;
    }
    base += count;
  }
  if (leaf !== nLeaves) fail('there are fewer leaves than the header says');
  for (const v of featureImportances) {
    if (!(v >= 0 && v <= 1)) fail(`a feature importance is ${v}, outside [0, 1]`);
  }
  // Written since classWeight existed; older artifacts have neither field (no class weights).
  const classWeights: unknown = h.params.classWeights ?? null;
  if (
    classWeights !== null &&
    !(
      Array.isArray(classWeights) &&
      classWeights.length === nClasses &&
      classWeights.every((w) => typeof w === 'number' && Number.isFinite(w) && w > 0)
    )
  ) {
    fail(`its class weights are not ${nClasses} positive numbers`);
  }
  return {
    nFeatures,
    nClasses,
    params: h.params,
    featureImportances,
    treeNodeCount,
    nodeFeature,
    nodeThreshold,
    nodeLeft,
    leafClassWeights,
  };
}

/** The sizes an artifact declares, read from its header alone (no body decoded). */
export interface ArtifactShape {
  nFeatures: number;
  nClasses: number;
  nTrees: number;
  nNodes: number;
  nLeaves: number;
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
  };
}
