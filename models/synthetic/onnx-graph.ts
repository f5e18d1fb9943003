/**
 * A small ONNX graph builder over onnx-proto: enough to write the synthetic models by hand
 * (nodes with fresh output names, typed initializers, typed inputs and outputs, subgraphs).
 */
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
type Onnx = typeof onnxProto.onnx;
type ElemType = Onnx['TensorProto']['DataType'][keyof Onnx['TensorProto']['DataType']];

export const F32 = onnx.TensorProto.DataType.FLOAT;
export const I64 = onnx.TensorProto.DataType.INT64;
export const BOOL = onnx.TensorProto.DataType.BOOL;

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;
type Attr = onnxProto.onnx.IAttributeProto;

const AT = onnx.AttributeProto.AttributeType;
export const attr = {
  int: (name: string, i: number): Attr => ({ name, type: AT.INT, i }),
  ints: (name: string, ints: number[]): Attr => ({ name, type: AT.INTS, ints }),
  graph: (name: string, g: onnxProto.onnx.IGraphProto): Attr => ({ name, type: AT.GRAPH, g }),
};

export function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #prefix: string;
  #next = 0;

  /** `prefix` keeps names unique between a graph and its subgraphs. */
  constructor(prefix = 'v') {
    this.#prefix = prefix;
  }

  /** Appends a node; returns the names of its `outputs` fresh outputs. */
  ops(opType: string, inputs: string[], outputs: number, attribute: Attr[] = []): string[] {
    const output = Array.from({ length: outputs }, () => `${this.#prefix}${this.#next++}_${opType}`);
    this.nodes.push({ opType, input: inputs, output, attribute, name: output[0] ?? opType });
    return output;
  }

  /** Appends a node with a single output and returns its name. */
  op(opType: string, inputs: string[], attribute: Attr[] = []): string {
    return this.ops(opType, inputs, 1, attribute)[0]!;
  }

  f32(name: string, dims: number[], data: Float32Array): string {
    const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims, dataType: F32, rawData });
    return name;
  }

  /** A float scalar (rank 0) constant. */
  scalar(name: string, value: number): string {
    return this.f32(name, [], new Float32Array([value]));
  }

  i64(name: string, dims: number[], values: number[]): string {
    this.initializers.push({ name, dims, dataType: I64, int64Data: values });
    return name;
  }

  graph(
    name: string,
    inputs: onnxProto.onnx.IValueInfoProto[],
    outputs: onnxProto.onnx.IValueInfoProto[],
  ): onnxProto.onnx.IGraphProto {
    return { name, node: this.nodes, initializer: this.initializers, input: inputs, output: outputs };
  }
}

/** Serialises a model; opset 17 and IR 8 load in onnxruntime 1.14 and later. */
export function encodeModel(graph: onnxProto.onnx.IGraphProto, docString: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'kokoro-host models/synthetic/generate.ts',
    producerVersion: '1',
    docString,
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
