/**
 * Just enough of the protobuf wire format to read an ONNX graph's nodes and outputs and to
 * append one graph output, without decoding the weights.
 *
 * Why not onnx-proto: decoding a model materialises every initializer as JS objects (hundreds
 * of MB for a 90 MB file) to change a few bytes. Protobuf concatenates repeated fields, so
 * appending a ValueInfoProto at the end of GraphProto adds one output after the existing ones,
 * and only the graph's length prefix in ModelProto changes. Everything else is copied byte for byte.
 *
 * Field numbers are those of onnx.proto3 (ModelProto.graph = 7; GraphProto.node = 1,
 * output = 12; NodeProto input 1, output 2, name 3, op_type 4, attribute 5; AttributeProto
 * name 1, i 3; ValueInfoProto name 1, type 2; TypeProto.tensor_type 1; Tensor.elem_type 1).
 */

export class OnnxWireError extends Error {}

/** ONNX TensorProto.DataType.INT64. */
export const ONNX_INT64 = 7;

interface Field {
  field: number;
  wire: number;
  /** Start of the tag. */
  start: number;
  /** Payload: for wire type 2 the bytes after the length; for 0 the varint's value in `value`. */
  dataStart: number;
  end: number;
  value: number;
}

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos + i];
    if (b === undefined) throw new OnnxWireError('truncated varint');
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, pos + i + 1];
  }
  throw new OnnxWireError('varint longer than 10 bytes');
}

/** The top-level fields of one message in buf[start, end). */
export function* fields(buf: Uint8Array, start = 0, end = buf.length): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let dataStart = afterTag;
    let next: number;
    let value = 0;
    if (wire === 0) [value, next] = readVarint(buf, afterTag);
    else if (wire === 1) next = afterTag + 8;
    else if (wire === 5) next = afterTag + 4;
    else if (wire === 2) {
      const [len, data] = readVarint(buf, afterTag);
      dataStart = data;
      next = data + len;
    } else throw new OnnxWireError(`unsupported wire type ${wire}`);
    if (next > end) throw new OnnxWireError('field runs past its message');
    yield { field, wire, start: pos, dataStart, end: next, value };
    pos = next;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const text = (buf: Uint8Array, f: Field) => utf8.decode(buf.subarray(f.dataStart, f.end));

export interface WireNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes by name (the Cast's `to`). */
  ints: Map<string, number>;
}

export interface WireGraph {
  nodes: WireNode[];
  outputs: string[];
  /** Where the graph message lies in the model bytes (its field, tag included, and its payload). */
  field: Field;
}

function readNode(buf: Uint8Array, start: number, end: number): WireNode {
  const node: WireNode = { opType: '', name: '', inputs: [], outputs: [], ints: new Map() };
  for (const f of fields(buf, start, end)) {
    if (f.wire !== 2) continue;
    if (f.field === 1) node.inputs.push(text(buf, f));
    else if (f.field === 2) node.outputs.push(text(buf, f));
    else if (f.field === 3) node.name = text(buf, f);
    else if (f.field === 4) node.opType = text(buf, f);
    else if (f.field === 5) {
      let name = '';
      let i: number | undefined;
      for (const a of fields(buf, f.dataStart, f.end)) {
        if (a.field === 1 && a.wire === 2) name = text(buf, a);
        else if (a.field === 3 && a.wire === 0) i = a.value;
      }
      if (i !== undefined) node.ints.set(name, i);
    }
  }
  return node;
}

function readValueInfoName(buf: Uint8Array, start: number, end: number): string {
  for (const f of fields(buf, start, end)) if (f.field === 1 && f.wire === 2) return text(buf, f);
  return '';
}

/** The main graph's nodes (not subgraphs') and output names. Throws OnnxWireError when `model` is not an ONNX model. */
export function readGraph(model: Uint8Array): WireGraph {
  const graphs = [...fields(model)].filter((f) => f.field === 7 && f.wire === 2);
  if (graphs.length !== 1) throw new OnnxWireError(`expected one graph, found ${graphs.length}`);
  const field = graphs[0]!;
  const nodes: WireNode[] = [];
  const outputs: string[] = [];
  for (const f of fields(model, field.dataStart, field.end)) {
    if (f.wire !== 2) continue;
    if (f.field === 1) nodes.push(readNode(model, f.dataStart, f.end));
    else if (f.field === 12) outputs.push(readValueInfoName(model, f.dataStart, f.end));
  }
  return { nodes, outputs, field };
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, payload: readonly number[] | Uint8Array): number[] {
  return [...varint(field * 8 + 2), ...varint(payload.length), ...payload];
}

/** A ValueInfoProto field of GraphProto.output: `name`, a tensor of `elemType`, shape left to the runtime. */
export function graphOutputField(name: string, elemType: number): number[] {
  const tensorType = [...varint(1 * 8), ...varint(elemType)];
  const typeProto = lengthDelimited(1, tensorType);
  const valueInfo = [...lengthDelimited(1, new TextEncoder().encode(name)), ...lengthDelimited(2, typeProto)];
  return lengthDelimited(12, valueInfo);
}

/** A NodeProto field of GraphProto.node. */
export function graphNodeField(node: Pick<WireNode, 'opType' | 'name' | 'inputs' | 'outputs'>): number[] {
  const enc = (s: string) => new TextEncoder().encode(s);
  const payload = [
    ...node.inputs.flatMap((i) => lengthDelimited(1, enc(i))),
    ...node.outputs.flatMap((o) => lengthDelimited(2, enc(o))),
    ...lengthDelimited(3, enc(node.name)),
    ...lengthDelimited(4, enc(node.opType)),
  ];
  return lengthDelimited(1, payload);
}

/** `model` with `extra` fields appended to its graph; every other byte is copied unchanged. */
function appendToGraph(model: Uint8Array, graph: WireGraph, extraFields: readonly number[]): Uint8Array {
  const extra = Uint8Array.from(extraFields);
  const { field } = graph;
  const payloadLength = field.end - field.dataStart + extra.length;
  const header = Uint8Array.from([...varint(7 * 8 + 2), ...varint(payloadLength)]);
  const parts = [model.subarray(0, field.start), header, model.subarray(field.dataStart, field.end), extra, model.subarray(field.end)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `model` with one more graph output (after the existing ones). */
export function appendGraphOutput(model: Uint8Array, graph: WireGraph, name: string, elemType: number): Uint8Array {
  return appendToGraph(model, graph, graphOutputField(name, elemType));
}

/** `model` with one more node, last: its inputs must already be produced (ONNX keeps nodes in topological order). */
export function appendGraphNode(model: Uint8Array, graph: WireGraph, node: Pick<WireNode, 'opType' | 'name' | 'inputs' | 'outputs'>): Uint8Array {
  return appendToGraph(model, graph, graphNodeField(node));
}
